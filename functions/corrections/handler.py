"""The HTTP exchange: CORS for the viewer, POST only, a verified caller, a checked ask, the
correction made.

Answers are JSON: 200 {transcription, correction {seq, action, voice, into, by, at, run,
undoes}, speakers, exports}; 400 a correction the function does not make (unknown voice, a
field too long or with control characters, nothing to undo); 401 no or an invalid ID token;
403 not the caller's transcription; 405 another method; 409 a run still writing the
transcription, or an undo a later correction stands in the way of. Every error is
{"error": reason}, and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from functions.core import http, tokens
from functions.core.settings import Settings
from functions.corrections import apply, edits
from functions.corrections import ask as asking

log = logging.getLogger(__name__)
Answer = tuple[dict[str, Any] | str, int, dict[str, str]]


def handle(request: flask.Request, settings: Settings) -> Answer:
    cors = http.cors(request.headers.get("Origin"), settings.upload_origins)
    if request.method == "OPTIONS":
        return "", 204, {**cors, "Access-Control-Max-Age": "3600"}
    if request.method != "POST":
        return {"error": "POST a JSON body"}, 405, {**cors, "Allow": "POST, OPTIONS"}
    try:
        caller = tokens.verified_caller(
            tokens.bearer(request.headers.get("Authorization")), settings.project
        )
        ask = asking.parse(request.get_json(silent=True))
        return apply.correct(settings, caller.uid, ask), 200, cors
    except tokens.Unauthorized as exc:
        log.info("correction refused: %s", exc)
        return {"error": str(exc)}, 401, {**cors, "WWW-Authenticate": "Bearer"}
    except asking.BadRequest as exc:
        return {"error": str(exc)}, 400, cors
    except apply.Forbidden as exc:
        log.info("correction refused: %s", exc)
        return {"error": str(exc)}, 403, cors
    except edits.Conflict as exc:
        return {"error": str(exc)}, 409, cors
