"""The HTTP exchange: CORS for the viewer, POST only, a verified caller, a checked ask, a URL.

Answers are JSON: 200 {url, method, headers, bucket, object, transcription, expires}, `headers`
being what the PUT must carry, exactly (the single-use `x-goog-if-generation-match: 0` among
them); 400 a request the function does not sign; 401 no or an invalid ID token; 403 a caller the
allow-list does not name; 405 another method; 429 a daily cap reached, {error, cap, limit, used,
resets_at} with `Retry-After` (decision 0019); 503 the caps' counters too contended to update.
Every error is {"error": reason}.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from functions.core import http, tokens
from functions.core.documents import transcription_id
from functions.core.settings import Settings
from functions.uploads import admit
from functions.uploads import ask as asking
from functions.uploads.signing import sign_upload

log = logging.getLogger(__name__)


def handle(request: flask.Request, settings: Settings) -> http.Answer:
    def grant(caller: tokens.Caller, body: Any) -> dict[str, Any]:
        admit.allowed(caller, settings.allowed_users)
        return _grant(settings, caller.uid, asking.parse(body, settings.max_media_s))

    return http.serve(request, settings.upload_origins, settings.project, "upload", grant)


def _grant(settings: Settings, uid: str, ask: asking.Ask) -> dict[str, Any]:
    name = ask.object_name(settings.input_prefix, uid)
    admit.reserve(settings, uid, ask, transcription_id(settings.upload_bucket, name))
    signed = sign_upload(settings, name, ask)
    log.info("upload URL for %s (%s, %d bytes)", name, ask.content_type, ask.size)
    return {
        "url": signed.url,
        "method": "PUT",
        "headers": signed.headers,
        "bucket": settings.upload_bucket,
        "object": name,
        "transcription": transcription_id(settings.upload_bucket, name),
        "expires": signed.expires.isoformat(),
    }
