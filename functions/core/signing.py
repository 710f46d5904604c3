"""V4 signed URLs to Cloud Storage, for the HTTP functions apps call: the upload function's PUT,
the reads function's GET. Each URL lives `signed_url_s` (15 minutes).

Deployed, a function has no private key: it signs through the IAM Credentials API (signBlob) as
its own service account, which needs `iam.serviceAccountTokenCreator` on itself. Locally
(`TABSCRIBE_SIGNING_KEY_FILE`) it signs with a key the stack generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from functions.core import clients
from functions.core.settings import Settings


@dataclass(frozen=True)
class Signed:
    url: str
    expires: dt.datetime
    headers: dict[str, str] = field(default_factory=dict)  # to send with the request, exactly


def sign(
    settings: Settings,
    bucket: str,
    name: str,
    method: str,
    headers: dict[str, str] | None = None,
    disposition: str | None = None,
) -> Signed:
    """A URL for one `method` on one object; `headers` and the response's Content-Disposition
    (`disposition`, a GET's) are bound into the signature."""
    blob = clients.storage_client().bucket(bucket).blob(name)
    lifetime = dt.timedelta(seconds=settings.signed_url_s)
    url = blob.generate_signed_url(
        version="v4",
        method=method,
        expiration=lifetime,
        api_access_endpoint=settings.signed_url_endpoint,
        headers=dict(headers or {}),  # the library adds Host to the dict it is given
        response_disposition=disposition,
        **_signer(settings.signing_key_file),
    )
    return Signed(url, dt.datetime.now(dt.UTC) + lifetime, dict(headers or {}))


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
