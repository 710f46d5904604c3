"""What the HTTP functions apps call share (the upload, reads and corrections functions): CORS for
the viewer's origins, POST only, a verified Firebase caller, and one JSON answer per refusal.

Answers are JSON. 204 answers a CORS preflight, 405 another method than POST, 401 a missing or
invalid ID token; a function refuses anything else by raising a `Refused` of the status it means
(400, 403, 404, 409, 429, 503). Every error is {"error": reason}, with more fields where a
refusal says more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import flask

from functions.core import tokens

log = logging.getLogger(__name__)
Answer = tuple[dict[str, Any] | str, int, dict[str, str]]


class Refused(Exception):
    """A request the function does not serve: answered with `status` and {"error": reason}."""

    status = 400

    def body(self) -> dict[str, Any]:
        return {"error": str(self)}

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(Refused, ValueError):
    """A request the function does not serve as asked: HTTP 400, nothing changed."""


class Forbidden(Refused):
    """Not the caller's to ask (another user's transcription, an account not allowed): HTTP 403."""

    status = 403


class NotFound(Refused):
    """No such transcription, or no such object of it (yet): HTTP 404."""

    status = 404


def serve(
    request: flask.Request,
    origins: tuple[str, ...],
    project: str,
    what: str,
    act: Callable[[tokens.Caller, Any], dict[str, Any]],
) -> Answer:
    """`act(caller, body)` for a POST with a verified ID token; its answer, or its refusal. `what`
    names the request in the logs ("upload", "read", …)."""
    allowed = cors(request.headers.get("Origin"), origins)
    if request.method == "OPTIONS":
        return "", 204, {**allowed, "Access-Control-Max-Age": "3600"}
    if request.method != "POST":
        return {"error": "POST a JSON body"}, 405, {**allowed, "Allow": "POST, OPTIONS"}
    try:
        caller = tokens.verified_caller(
            tokens.bearer(request.headers.get("Authorization")), project
        )
        return act(caller, request.get_json(silent=True)), 200, allowed
    except tokens.Unauthorized as exc:
        log.info("%s refused: %s", what, exc)
        return {"error": str(exc)}, 401, {**allowed, "WWW-Authenticate": "Bearer"}
    except Refused as exc:
        log.log(logging.WARNING if exc.status >= 500 else logging.INFO, "%s refused: %s", what, exc)
        return exc.body(), exc.status, {**allowed, **exc.headers()}


def cors(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for an allowed origin; none for any other (the browser then refuses)."""
    if not origin or origin not in allowed:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Vary": "Origin",
    }
