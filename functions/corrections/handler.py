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

from typing import Any

import flask

from functions.core import http, tokens
from functions.core.settings import Settings
from functions.corrections import apply
from functions.corrections import ask as asking


def handle(request: flask.Request, settings: Settings) -> http.Answer:
    def correct(caller: tokens.Caller, body: Any) -> dict[str, Any]:
        return apply.correct(settings, caller.uid, asking.parse(body))

    return http.serve(request, settings.upload_origins, settings.project, "correction", correct)
