"""Test accounts on the Firebase Authentication emulator: an ID token for any uid.

The emulator accepts unsigned custom tokens, so signing in as `uid` is one request; the ID token
it returns is the one the Firebase SDKs would hold for that user (unsigned, as every emulator
token is).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request

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
    url = (
        f"http://{auth_host}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithCustomToken?key=local-emulator"
    )
    body = json.dumps({"token": custom_token(uid), "returnSecureToken": True}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["idToken"]
    return token


def unsigned_jwt(claims: dict[str, object]) -> str:
    """A JWT with `alg: none` and no signature, as the emulator issues and accepts them."""
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."


def _part(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
