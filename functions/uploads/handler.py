"""The HTTP exchange: CORS for the viewer, POST only, a verified caller, a checked ask, a URL.

Answers are JSON: 200 {url, method, headers, bucket, object, transcription, expires}, `headers`
being what the PUT must carry, exactly (the single-use `x-goog-if-generation-match: 0` among
them); 400 a request the function does not sign; 401 no or an invalid ID token; 403 a caller the
allow-list does not name; 405 another method; 429 a daily cap reached, {error, cap, limit, used,
resets_at} with `Retry-After` (decision 0019); 503 the caps' counters too contended to update.
Every error is {"error": reason}.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import flask

from functions.core import caps, http, tokens
from functions.core.documents import transcription_id
from functions.core.settings import Settings
from functions.uploads import admit
from functions.uploads import ask as asking
from functions.uploads.signing import sign_upload

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
        admit.allowed(caller, settings.allowed_users)
        ask = asking.parse(request.get_json(silent=True), settings.max_media_s)
        return _grant(settings, caller.uid, ask), 200, cors
    except tokens.Unauthorized as exc:
        log.info("upload refused: %s", exc)
        return {"error": str(exc)}, 401, {**cors, "WWW-Authenticate": "Bearer"}
    except admit.Forbidden as exc:
        log.info("upload refused: %s", exc)
        return {"error": str(exc)}, 403, cors
    except asking.BadRequest as exc:
        return {"error": str(exc)}, 400, cors
    except caps.OverCap as exc:
        log.info("upload refused: %s", exc)
        return _over_cap(exc), 429, {**cors, "Retry-After": _seconds_until(exc.resets_at)}
    except caps.Busy as exc:
        log.warning("upload refused: %s", exc)
        return {"error": str(exc)}, 503, {**cors, "Retry-After": "5"}


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


def _over_cap(exc: caps.OverCap) -> dict[str, Any]:
    return {
        "error": f"upload refused: {exc}",
        "cap": exc.cap,
        "limit": exc.limit,
        "used": round(exc.used, 4),
        "resets_at": exc.resets_at.isoformat().replace("+00:00", "Z"),
    }


def _seconds_until(moment: dt.datetime) -> str:
    return str(max(1, round((moment - dt.datetime.now(dt.UTC)).total_seconds())))
