"""The V4 signed URL for one PUT: method, object, content type, size, metadata and the
single-use precondition all signed.

Deployed, the function has no private key: it signs through the IAM Credentials API (signBlob) as
its own service account, which needs `iam.serviceAccountTokenCreator` on itself. Locally
(`TABSCRIBE_SIGNING_KEY_FILE`) it signs with a key the stack generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from functions.core import clients
from functions.core.settings import Settings
from functions.uploads.ask import Ask

URL_TTL = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class SignedUpload:
    url: str
    headers: dict[str, str]  # the caller must send exactly these with the PUT
    expires: dt.datetime


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


def sign_upload(settings: Settings, name: str, ask: Ask) -> SignedUpload:
    headers = signed_headers(ask)
    blob = clients.storage_client().bucket(settings.upload_bucket).blob(name)
    url = blob.generate_signed_url(
        version="v4",
        method="PUT",
        expiration=URL_TTL,
        api_access_endpoint=settings.signed_url_endpoint,
        headers=dict(headers),  # the library adds Host to the dict it is given
        **_signer(settings.signing_key_file),
    )
    return SignedUpload(url, headers, dt.datetime.now(dt.UTC) + URL_TTL)


def _signer(key_file: str) -> dict[str, Any]:
    """generate_signed_url's signing arguments: a local key, or IAM signBlob as this account."""
    if key_file:
        return {"credentials": _key_credentials(key_file)}
    credentials = _runtime_credentials()
    if not credentials.valid:
        from google.auth.transport.requests import Request

        credentials.refresh(Request())
    return {
        "service_account_email": credentials.service_account_email,
        "access_token": credentials.token,
    }


@cache
def _key_credentials(key_file: str) -> Any:
    from google.oauth2 import service_account

    return service_account.Credentials.from_service_account_file(key_file)  # type: ignore[no-untyped-call]


@cache
def _runtime_credentials() -> Any:
    """The function's own account (the metadata server's credentials on Cloud Run)."""
    import google.auth

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return credentials
