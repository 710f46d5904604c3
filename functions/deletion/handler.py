"""The HTTP exchange: CORS for the viewer, POST only, a verified caller who owns what is named.

Answers are JSON: 200 {transcription, deleted: {objects, documents}}; 400 no transcription id;
401 no or an invalid ID token; 403 the caller does not own it; 404 no such transcription; 405
another method. Every error is {"error": reason}, and an error changes nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import flask

from functions.core import http, tokens
from functions.core.settings import Settings
from functions.deletion import remove

log = logging.getLogger(__name__)
TRANSCRIPTION_ID = re.compile(r"^[0-9a-f]{32}$")
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
        tid = _transcription(request.get_json(silent=True))
        removed = remove.delete(settings, tid, caller.uid)
        return {"transcription": tid, "deleted": removed.counts()}, 200, cors
    except tokens.Unauthorized as exc:
        log.info("deletion refused: %s", exc)
        return {"error": str(exc)}, 401, {**cors, "WWW-Authenticate": "Bearer"}
    except ValueError as exc:
        return {"error": str(exc)}, 400, cors
    except remove.Forbidden as exc:
        log.info("deletion refused: %s", exc)
        return {"error": str(exc)}, 403, cors
    except remove.NotFound as exc:
        return {"error": str(exc)}, 404, cors


def _transcription(body: Any) -> str:
    tid = body.get("transcription") if isinstance(body, dict) else None
    if not isinstance(tid, str) or not TRANSCRIPTION_ID.match(tid):
        raise ValueError('a JSON body {"transcription": "<32 hex characters>"} is required')
    return tid
