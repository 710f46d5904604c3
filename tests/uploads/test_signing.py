"""The signed URL the function returns, checked the way Cloud Storage checks one (the stack's
gateway, `stack/signed.py`): the signature covers the method, the object, the content type, the
size range, the metadata and the single-use precondition; it expires after 15 minutes; another
key, a changed, missing or added header fails."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.core import clients
from functions.core.settings import Settings
from functions.uploads.ask import parse
from functions.uploads.signing import sign_upload
from stack.signed import (
    Refused,
    check_generation,
    check_length,
    check_signature,
    write_signing_key,
)

ENDPOINT = "http://127.0.0.1:4443"


@pytest.fixture(autouse=True)
def offline_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A storage client that needs no credentials (signing makes no request)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", ENDPOINT)
    clients.storage_client.cache_clear()
    yield
    clients.storage_client.cache_clear()


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Any, Any, dict[str, str]]:
    """(the stack's public key, the signed upload, the request a browser would send)."""
    key = write_signing_key(tmp_path / "key.json", "p")
    settings = Settings(
        GOOGLE_CLOUD_PROJECT="p",
        upload_bucket="uploads-bucket",
        signed_url_endpoint=ENDPOINT,
        signing_key_file=str(tmp_path / "key.json"),
    )
    ask = parse(
        {"name": "talk.mp4", "content_type": "video/mp4", "size": 10, "metadata": {"title": "T"}},
        settings.max_media_s,
    )
    upload = sign_upload(settings, "uploads/alice/abc-talk.mp4", ask)
    headers = {**upload.headers, "Host": "127.0.0.1:4443"}
    return key, upload, headers


def target(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_url_is_a_v4_put_for_the_object_with_its_headers_signed(signed: Any) -> None:
    key, upload, headers = signed
    assert upload.url.startswith(f"{ENDPOINT}/uploads-bucket/uploads/alice/abc-talk.mp4?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(upload.url).query)
    assert query["X-Goog-Expires"] == ["900"]
    assert query["X-Goog-SignedHeaders"] == [
        "content-type;host;x-goog-content-length-range;x-goog-if-generation-match;x-goog-meta-title"
    ]
    assert upload.headers == {
        "Content-Type": "video/mp4",
        "x-goog-content-length-range": "10,10",
        "x-goog-if-generation-match": "0",
        "x-goog-meta-title": "T",
    }
    signed_headers = check_signature("PUT", target(upload.url), headers, key)
    check_length(signed_headers, 10)
    assert signed_headers["x-goog-meta-title"] == "T"


@pytest.mark.parametrize(
    "change",
    [
        {"Content-Type": "text/html"},
        {"x-goog-meta-title": "Other"},
        {"x-goog-content-length-range": "0,999999999"},
        {"x-goog-if-generation-match": "1234"},
        {"Host": "elsewhere:80"},
    ],
)
def test_a_changed_signed_header_is_refused(signed: Any, change: dict[str, str]) -> None:
    key, upload, headers = signed
    with pytest.raises(Refused, match="SignatureDoesNotMatch"):
        check_signature("PUT", target(upload.url), {**headers, **change}, key)


def test_another_object_method_or_key_is_refused(signed: Any, tmp_path: Path) -> None:
    key, upload, headers = signed
    other_object = target(upload.url).replace("alice", "bob_x")
    for method, url, with_key in [
        ("PUT", other_object, key),
        ("GET", target(upload.url), key),
        ("PUT", target(upload.url), write_signing_key(tmp_path / "other.json", "p")),
    ]:
        with pytest.raises(Refused):
            check_signature(method, url, headers, with_key)


def test_it_expires_after_15_minutes_and_binds_the_size(signed: Any) -> None:
    key, upload, headers = signed
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    with pytest.raises(Refused, match="expired"):
        check_signature("PUT", target(upload.url), headers, key, now=later)
    signed_headers = check_signature("PUT", target(upload.url), headers, key)
    for length in (9, 11, 0):
        with pytest.raises(Refused):
            check_length(signed_headers, length)


def test_a_signed_header_left_out_or_an_unsigned_one_added_is_refused(signed: Any) -> None:
    key, upload, headers = signed
    without = {k: v for k, v in headers.items() if k != "x-goog-if-generation-match"}
    with pytest.raises(Refused, match="missing") as missing:
        check_signature("PUT", target(upload.url), without, key)
    unlisted = target(upload.url).replace("%3Bx-goog-if-generation-match", "")
    assert unlisted != target(upload.url)  # the URL no longer asks for it: the signature fails
    with pytest.raises(Refused, match="SignatureDoesNotMatch"):
        check_signature("PUT", unlisted, without, key)
    with pytest.raises(Refused, match="not signed") as added:
        check_signature("PUT", target(upload.url), {**headers, "x-goog-acl": "public-read"}, key)
    assert missing.value.status == added.value.status == 403


def test_the_url_is_single_use() -> None:
    precondition = {"x-goog-if-generation-match": "0"}
    check_generation(precondition, None)  # no object yet: the first PUT
    for live in (1, 1765000000000000):
        with pytest.raises(Refused, match="PreconditionFailed") as refused:
            check_generation(precondition, live)
        assert refused.value.status == 412
    check_generation({"x-goog-if-generation-match": "7"}, 7)
    check_generation({}, 7)  # no precondition signed: Cloud Storage overwrites
