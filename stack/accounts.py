"""Test accounts on the Firebase Authentication emulator: an ID token for any uid, or for a new
email account, verified or not.

The emulator accepts unsigned custom tokens, so signing in as `uid` is one request; the ID token
it returns is the one the Firebase SDKs would hold for that user (unsigned, as every emulator
token is).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from typing import Any

CUSTOM_TOKEN_AUDIENCE = (
    "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit"
)


def custom_token(uid: str) -> str:
    """An unsigned custom token for `uid` (accepted by the emulator only)."""
    now = int(time.time())
    claims = {"uid": uid, "iat": now, "exp": now + 3600, "aud": CUSTOM_TOKEN_AUDIENCE}
    return unsigned_jwt(claims)


def id_token(auth_host: str, uid: str) -> str:
    """Sign in to the emulator at `auth_host` as `uid`; the user's Firebase ID token."""
    body = {"token": custom_token(uid), "returnSecureToken": True}
    token: str = _identity(auth_host, "accounts:signInWithCustomToken", body)["idToken"]
    return token


def email_id_token(auth_host: str, project: str, email: str, verified: bool = True) -> str:
    """Sign up a new email account on the emulator (its email verified, as a Google sign-in's
    is, or not); the ID token it then holds, with `email` and `email_verified` claims."""
    password = {"email": email, "password": "not-a-secret", "returnSecureToken": True}
    uid = _identity(auth_host, "accounts:signUp", password)["localId"]
    if verified:  # the emulator takes `Bearer owner` as an administrator
        change = {"localId": uid, "emailVerified": True}
        _identity(auth_host, f"projects/{project}/accounts:update", change, "owner")
    token: str = _identity(auth_host, "accounts:signInWithPassword", password)["idToken"]
    return token


def _identity(
    auth_host: str, method: str, body: dict[str, object], bearer: str | None = None
) -> dict[str, Any]:
    url = f"http://{auth_host}/identitytoolkit.googleapis.com/v1/{method}?key=local-emulator"
    headers = {"content-type": "application/json"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def unsigned_jwt(claims: dict[str, object]) -> str:
    """A JWT with `alg: none` and no signature, as the emulator issues and accepts them."""
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."


def _part(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
