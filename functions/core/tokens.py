"""Who is asking: the uid (and email) of a verified Firebase ID token, never anything the
request says.

Deployed, the token's signature is checked against Google's published Firebase keys, and its
audience, issuer, expiry and subject. Against the Firebase Auth emulator
(`FIREBASE_AUTH_EMULATOR_HOST` set, as the Firebase Admin SDKs do it) tokens are unsigned, so only
the claims are checked: never set that variable in a deployment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.auth import exceptions, jwt
from google.auth.transport import requests as transport
from google.oauth2 import id_token

FIREBASE_CERTS_URL = (
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
)
CLOCK_SKEW_S = 10


class Unauthorized(Exception):
    """No token, or one that does not prove who the caller is: HTTP 401."""


@dataclass(frozen=True)
class Caller:
    uid: str
    email: str | None  # as the token states it, lower case; None when it has none
    email_verified: bool


def bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an Authorization: Bearer <Firebase ID token> header is required")
    return token.strip()


def verified_caller(token: str, project: str, certs_url: str = FIREBASE_CERTS_URL) -> Caller:
    """The Firebase user `token` proves, for the Firebase project `project`."""
    try:
        if os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
            claims = _emulator_claims(token, project)
        else:
            claims = id_token.verify_token(
                token,
                transport.Request(),
                audience=project,
                certs_url=certs_url,
                clock_skew_in_seconds=CLOCK_SKEW_S,
            )
    except (ValueError, exceptions.GoogleAuthError) as exc:
        raise Unauthorized(f"invalid ID token: {exc}") from None
    email = claims.get("email")
    return Caller(
        _uid(claims, project),
        email.lower() if isinstance(email, str) and email else None,
        claims.get("email_verified") is True,
    )


def _emulator_claims(token: str, project: str) -> Mapping[str, Any]:
    """The Auth emulator's token: unsigned, but expiry and audience are checked as deployed."""
    claims: Mapping[str, Any] = jwt.decode(token, verify=False)  # type: ignore[no-untyped-call]
    if claims.get("aud") != project:
        raise ValueError(f"token audience {claims.get('aud')!r} is not {project!r}")
    if float(claims.get("exp", 0)) < time.time() - CLOCK_SKEW_S:
        raise ValueError("token expired")
    return claims


def _uid(claims: Mapping[str, Any], project: str) -> str:
    if claims.get("iss") != f"https://securetoken.google.com/{project}":
        raise Unauthorized(f"invalid ID token: issuer {claims.get('iss')!r}")
    uid = claims.get("sub")
    if not isinstance(uid, str) or not uid or len(uid) > 128 or "/" in uid:
        raise Unauthorized("invalid ID token: no usable subject (uid)")
    return uid
