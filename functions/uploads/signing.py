"""The V4 signed URL for one PUT (`functions/core/signing.py`): method, object, content type,
size, metadata and the single-use precondition all signed."""

from __future__ import annotations

from functions.core.settings import Settings
from functions.core.signing import Signed, sign
from functions.uploads.ask import Ask


def signed_headers(ask: Ask) -> dict[str, str]:
    """Headers bound into the signature: Cloud Storage refuses a PUT that differs in any, or
    lacks one. `x-goog-if-generation-match: 0` makes the URL single-use: a PUT succeeds only
    while no object has the name (412 Precondition Failed once one has)."""
    return {
        "Content-Type": ask.content_type,
        "x-goog-content-length-range": f"{ask.size},{ask.size}",
        "x-goog-if-generation-match": "0",
        **{f"x-goog-meta-{key}": value for key, value in sorted(ask.metadata.items())},
    }


def sign_upload(settings: Settings, name: str, ask: Ask) -> Signed:
    return sign(settings, settings.upload_bucket, name, "PUT", signed_headers(ask))
