"""Who is asking: the real google-auth verification of Firebase ID tokens, against keys this test
publishes on a local certificate endpoint in the format Google's endpoint uses; and the claims
checks against the Auth emulator's unsigned tokens."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from functions.core.tokens import Caller, Unauthorized, bearer, verified_caller
from stack.accounts import unsigned_jwt

PROJECT = "tabscribe-test"
ISSUER = f"https://securetoken.google.com/{PROJECT}"


def _key_and_cert() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def keys() -> dict[str, bytes]:
    published, cert = _key_and_cert()
    other, _ = _key_and_cert()
    return {"published": published, "cert": cert, "other": other}


@pytest.fixture(scope="module")
def certs_url(keys: dict[str, bytes]) -> Iterator[str]:
    """{key id: x509 certificate}, as Google serves Firebase's token certificates."""
    body = json.dumps({"k1": keys["cert"].decode()}).encode()

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    server.shutdown()


def claims(uid: str = "alice", **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": PROJECT, "sub": uid, "iat": now, "exp": now + 3600}
    return {**base, **changes}


@pytest.fixture
def signed(keys: dict[str, bytes]) -> Callable[..., str]:
    def sign(payload: dict[str, Any], key: str = "published") -> str:
        signer = crypt.RSASigner.from_string(keys[key], key_id="k1")
        return jwt.encode(signer, payload).decode()

    return sign


@pytest.fixture(autouse=True)
def deployed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)


def test_a_valid_token_gives_its_subject(signed: Callable[..., str], certs_url: str) -> None:
    assert verified_caller(signed(claims("alice")), PROJECT, certs_url) == Caller(
        "alice", None, False
    )
    with_email = claims("alice", email="Ana@Example.com", email_verified=True)
    assert verified_caller(signed(with_email), PROJECT, certs_url) == Caller(
        "alice", "ana@example.com", True
    )


@pytest.mark.parametrize(
    "problem",
    [
        {"key": "other"},  # forged: the right key id, another key
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},  # expired
        {"aud": "another-project"},
        {"iss": "https://securetoken.google.com/another-project"},
        {"sub": ""},
        {"sub": "alice/../bob"},
    ],
)
def test_forged_expired_or_foreign_tokens_are_refused(
    signed: Callable[..., str], certs_url: str, problem: dict[str, Any]
) -> None:
    key = problem.pop("key", "published")
    with pytest.raises(Unauthorized):
        verified_caller(signed(claims(**problem), key), PROJECT, certs_url)


def test_unsigned_and_garbage_tokens_are_refused(certs_url: str) -> None:
    for token in (unsigned_jwt(claims()), "garbage", "a.b.c", ""):
        with pytest.raises(Unauthorized):
            verified_caller(token, PROJECT, certs_url)


def test_a_bearer_header_is_required() -> None:
    assert bearer("Bearer abc") == "abc"
    for header in (None, "", "Basic abc", "Bearer ", "abc"):
        with pytest.raises(Unauthorized):
            bearer(header)


def test_the_emulator_s_unsigned_tokens_are_checked_for_audience_expiry_and_issuer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    assert verified_caller(unsigned_jwt(claims("bob")), PROJECT).uid == "bob"
    for bad in (claims(aud="x"), claims(exp=int(time.time()) - 60), claims(iss="x")):
        with pytest.raises(Unauthorized):
            verified_caller(unsigned_jwt(bad), PROJECT)
