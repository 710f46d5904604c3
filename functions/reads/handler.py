"""The HTTP exchange: CORS for the viewer, POST only, a verified caller, their transcription, a URL.

Answers are JSON: 200 {url, method, object, expires}, a V4 signed GET URL valid 15 minutes (an
export's answers `Content-Disposition: attachment`); 400 a request the function does not answer;
401 no or an invalid ID token; 403 another user's transcription; 404 no such transcription, or
no such object of it yet; 405 another method. Every error is {"error": reason}.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from functions.core import http, tokens
from functions.core.settings import Settings
from functions.core.signing import sign
from functions.reads import objects

log = logging.getLogger(__name__)
Answer = tuple[dict[str, Any], int, dict[str, str]]


def handle(request: flask.Request, settings: Settings) -> Answer | tuple[str, int, dict[str, str]]:
    cors = http.cors(request.headers.get("Origin"), settings.upload_origins)
    if request.method == "OPTIONS":
        return "", 204, {**cors, "Access-Control-Max-Age": "3600"}
    if request.method != "POST":
        return {"error": "POST a JSON body"}, 405, {**cors, "Allow": "POST, OPTIONS"}
    try:
        caller = tokens.verified_caller(
            tokens.bearer(request.headers.get("Authorization")), settings.project
        )
        read = objects.parse(request.get_json(silent=True))
        target = objects.target(settings, caller.uid, read)
    except tokens.Unauthorized as exc:
        log.info("read refused: %s", exc)
        return {"error": str(exc)}, 401, {**cors, "WWW-Authenticate": "Bearer"}
    except objects.BadRequest as exc:
        return {"error": str(exc)}, 400, cors
    except objects.Forbidden as exc:
        log.info("read refused: %s", exc)
        return {"error": str(exc)}, 403, cors
    except objects.NotFound as exc:
        return {"error": str(exc)}, 404, cors
    signed = sign(settings, target.bucket, target.name, "GET", disposition=target.disposition)
    log.info("read URL for %s (%s)", read.transcription, read.object)
    answer = {"url": signed.url, "method": "GET", "object": read.object}
    return {**answer, "expires": signed.expires.isoformat()}, 200, cors
