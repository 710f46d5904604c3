"""The HTTP exchange: CORS for the viewer, POST only, a verified caller, their transcription, a URL.

Answers are JSON: 200 {url, method, object, expires} (and `lang` for a translation's export), a V4
signed GET URL valid `signed_url_s`, 15 minutes (an export's answers `Content-Disposition:
attachment`); 400 a request the function does not answer; 401 no or an invalid ID token; 403
another user's transcription; 404 no such transcription, or no such object of it (or no completed
translation into `lang`) yet; 405 another method. Every error is {"error": reason}.
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


def handle(request: flask.Request, settings: Settings) -> http.Answer:
    def read(caller: tokens.Caller, body: Any) -> dict[str, Any]:
        asked = objects.parse(body)
        target = objects.target(settings, caller.uid, asked)
        signed = sign(settings, target.bucket, target.name, "GET", disposition=target.disposition)
        log.info("read URL for %s (%s %s)", asked.transcription, asked.object, asked.lang or "")
        answer = {"url": signed.url, "method": "GET", "object": asked.object}
        if asked.lang:
            answer["lang"] = asked.lang
        return {**answer, "expires": signed.expires.isoformat()}

    return http.serve(request, settings.upload_origins, settings.project, "read", read)
