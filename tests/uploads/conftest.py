"""The upload function's test stack: functions-framework, the Firebase Auth emulator's real ID
tokens, the Firestore emulator (the caps' counters), and the stack's signed-URL gateway in front of
the Cloud Storage emulator (it checks the signature as Cloud Storage does)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app

from functions.core import clients
from functions.core.settings import get_settings
from stack.accounts import email_id_token, id_token
from stack.services import Service
from stack.signed import Gateway, write_signing_key
from tests.conftest import PROJECT
from tests.paths import ROOT

ORIGIN = "http://127.0.0.1:8000"
MEDIA = (ROOT / "tests" / "data" / "media" / "voice.m4a").read_bytes()


@dataclass
class Uploads:
    app: Any
    bucket: Any
    auth_host: str

    def ask(self, token: str | None, body: Any = None, method: str = "POST") -> Any:
        headers = {"Origin": ORIGIN}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.app.open("/", method=method, headers=headers, json=body)

    def token(self, uid: str) -> str:
        return id_token(self.auth_host, uid)

    def email_token(self, email: str, verified: bool = True) -> str:
        return email_id_token(self.auth_host, PROJECT, email, verified)


@contextmanager
def signing_function(
    target: str, auth: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, **env: str
) -> Iterator[Any]:
    """The HTTP function `target` (a test client) signing URLs with a key of its own, for the
    signed-URL gateway in front of the storage emulator; `env`: more of its settings."""
    gateway = Gateway(write_signing_key(tmp_path / "key.json", PROJECT), (ORIGIN,))
    gateway.start()
    settings = {
        **auth.env,
        "TABSCRIBE_UPLOAD_ORIGINS": json.dumps([ORIGIN]),
        "TABSCRIBE_SIGNED_URL_ENDPOINT": gateway.url,
        "TABSCRIBE_SIGNING_KEY_FILE": str(tmp_path / "key.json"),
        **env,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield create_app(target=target, source=str(ROOT / "main.py")).test_client()
    finally:
        gateway.stop()
        get_settings.cache_clear()


@pytest.fixture
def uploads(
    emulators: Any, auth: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, unique: str
) -> Iterator[Uploads]:
    bucket = clients.storage_client().create_bucket(f"uploads-{unique}")
    env = {"TABSCRIBE_UPLOAD_BUCKET": bucket.name}
    with signing_function("upload_url", auth, monkeypatch, tmp_path, **env) as app:
        yield Uploads(app, bucket, auth.host_port)


def put(grant: dict[str, Any], body: bytes, *leave_out: str, **header_changes: str) -> int:
    headers = {**grant["headers"], **header_changes, "Origin": ORIGIN}
    headers = {name: value for name, value in headers.items() if name not in leave_out}
    request = urllib.request.Request(grant["url"], body, headers, method="PUT")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


MEDIA_ASK = {
    "name": "voice.m4a",
    "content_type": "audio/mp4",
    "size": len(MEDIA),
    "metadata": {"title": "Two voices", "speakers": "Ada Lovelace"},
}
