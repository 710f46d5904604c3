"""The HTTP exchange: CORS for the viewer, POST only, a verified caller who owns what is named.

Answers are JSON: 200 {transcription, deleted: {objects, documents}}; 400 no transcription id;
401 no or an invalid ID token; 403 the caller does not own it; 404 no such transcription; 405
another method. Every error is {"error": reason}, and an error changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import flask

from functions.core import http, tokens
from functions.core.settings import Settings
from functions.deletion import remove

TRANSCRIPTION_ID = re.compile(r"^[0-9a-f]{32}$")


class BadRequest(http.Refused, ValueError):
    """No transcription id: HTTP 400."""


def handle(request: flask.Request, settings: Settings) -> http.Answer:
    def delete(caller: tokens.Caller, body: Any) -> dict[str, Any]:
        tid = _transcription(body)
        return {"transcription": tid, "deleted": remove.delete(settings, tid, caller.uid).counts()}

    return http.serve(request, settings.upload_origins, settings.project, "deletion", delete)


def _transcription(body: Any) -> str:
    tid = body.get("transcription") if isinstance(body, dict) else None
    if not isinstance(tid, str) or not TRANSCRIPTION_ID.match(tid):
        raise BadRequest('a JSON body {"transcription": "<32 hex characters>"} is required')
    return tid
