"""A signed GET (functions/core/signing.py), checked the way Cloud Storage checks one (the stack's
gateway, `stack/signed.py`): it binds the method, the object and the response disposition, and
expires after 15 minutes. The upload function's PUT: tests/uploads/test_signing.py."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.core import clients
from functions.core.settings import Settings
from functions.core.signing import sign
from stack.signed import Refused, check_signature, write_signing_key

ENDPOINT = "http://127.0.0.1:4443"
HOST = {"Host": "127.0.0.1:4443"}
DISPOSITION = 'attachment; filename="talk.vtt"'


@pytest.fixture(autouse=True)
def offline_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A storage client that needs no credentials (signing makes no request)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", ENDPOINT)
    clients.storage_client.cache_clear()
    yield
    clients.storage_client.cache_clear()


def target(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_get_url_binds_its_method_object_and_disposition_for_15_minutes(tmp_path: Path) -> None:
    key = write_signing_key(tmp_path / "key.json", "p")
    settings = Settings(
        GOOGLE_CLOUD_PROJECT="p",
        signed_url_endpoint=ENDPOINT,
        signing_key_file=str(tmp_path / "key.json"),
    )
    signed = sign(settings, "res", "results/abc/transcript.vtt", "GET", disposition=DISPOSITION)
    assert signed.url.startswith(f"{ENDPOINT}/res/results/abc/transcript.vtt?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(signed.url).query)
    assert query["response-content-disposition"] == [DISPOSITION]
    assert query["X-Goog-Expires"] == ["900"] and signed.headers == {}
    check_signature("GET", target(signed.url), HOST, key)

    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    inline = target(signed.url).replace("attachment", "inline")
    for method, url, now in [
        ("PUT", target(signed.url), None),  # a read URL never writes
        ("GET", target(signed.url).replace("abc", "xyz"), None),
        ("GET", inline, None),
        ("GET", target(signed.url), later),
    ]:
        with pytest.raises(Refused):
            check_signature(method, url, HOST, key, now=now)
