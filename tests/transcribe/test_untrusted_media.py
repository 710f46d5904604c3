"""Media that only looks valid, and durations nothing bounds, through the transcriber on the real
stack (emulators, the stand-in, functions-framework): each is `rejected` before any model call,
with the reason named, and the handler answers 200, never 500 (decision 0020)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.core.settings import get_settings
from tests.paths import ROOT
from tests.transcribe import made_media
from tests.transcribe.conftest import Stack, clip_function, transcription_doc

pytestmark = pytest.mark.emulator

SAMPLES = ROOT / "samples"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings a test changed are not cached for the next one."""
    yield
    get_settings.cache_clear()


def put(stack: Stack, name: str, data: bytes, content_type: str, **metadata: str) -> Any:
    blob = stack.bucket.blob(f"uploads/mallory/{name}")
    blob.metadata = metadata or None
    blob.upload_from_string(data, content_type=content_type)
    return stack.bucket.get_blob(blob.name)


def rejected(stack: Stack, blob: Any) -> str:
    """The reason of the upload's `rejected` end, after checking that no model call was made
    and that the handler answered 200."""
    assert stack.deliver(blob) == 200
    (final,) = stack.results()
    assert final.final and final.outcome == "rejected"
    assert stack.model_calls() == []
    return final.reason or ""


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("garbage.webm", made_media.garbage_behind("webm", 40_000), "video/webm"),
        ("garbage.flv", made_media.garbage_behind("flv", 40_000), "video/x-flv"),
        ("garbage.mpg", made_media.garbage_behind("mpeg", 40_000), "video/mpeg"),
    ],
)
def test_garbage_behind_a_magic_number_is_rejected(
    stack: Stack, name: str, data: bytes, content_type: str
) -> None:
    assert "unrecognised header" in rejected(stack, put(stack, name, data, content_type))


def test_an_mp4_cut_short_is_rejected(stack: Stack) -> None:
    data = (SAMPLES / "interview.mp4").read_bytes()
    reason = rejected(stack, put(stack, "cut.mp4", made_media.cut(data, 0.3), "video/mp4"))
    assert f"cut off: its index points to byte {len(data):,}" in reason


def test_a_4kb_garbage_flv_declaring_20000_s_is_rejected(stack: Stack) -> None:
    """Once 36 clips and 36 model calls."""
    blob = put(stack, "x.flv", made_media.garbage_behind("flv"), "video/x-flv", duration="20000")
    assert "unrecognised header" in rejected(stack, blob)


def test_a_header_duration_the_size_cannot_hold_is_rejected(stack: Stack) -> None:
    """A real, small FLV whose onMetaData claims 20,000 s."""
    data = made_media.flv(2.0, header_duration_s=20000)
    reason = rejected(stack, put(stack, "forged.flv", data, "video/x-flv"))
    assert "header's duration, 20,000 s" in reason and "TABSCRIBE_MIN_BITRATE_BPS" in reason


def test_a_declared_duration_the_size_cannot_hold_is_rejected(stack: Stack) -> None:
    """A recorder's WebM (no duration in its header) of 2 s, 1.3 KB, declared as 20,000 s."""
    data = made_media.webm_without_duration()
    reason = rejected(stack, put(stack, "rec.webm", data, "video/webm", duration="20000"))
    assert "declared duration, 20,000 s" in reason and "TABSCRIBE_MIN_BITRATE_BPS" in reason


def test_a_declared_duration_past_the_longest_media_is_rejected(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`duration=999999` once failed building the clip tasks: a 500, a lease never released."""
    monkeypatch.setenv("TABSCRIBE_MIN_BITRATE_BPS", "0.001")  # the size lets it through
    get_settings.cache_clear()
    data = made_media.webm_without_duration()
    reason = rejected(stack, put(stack, "rec.webm", data, "video/webm", duration="999999"))
    assert "999,999 s" in reason and "43,200 s (TABSCRIBE_MAX_MEDIA_S)" in reason


def test_more_clips_than_the_bound_are_rejected(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    clip_function(monkeypatch, unique, TABSCRIBE_MAX_CLIPS="5")
    data = (SAMPLES / "conference.webm").read_bytes()  # 100 minutes: 12 clips
    reason = rejected(stack, put(stack, "conference.webm", data, "video/webm"))
    assert "cut into 12 clips; at most 5" in reason and "TABSCRIBE_MAX_CLIPS" in reason


@pytest.mark.parametrize(
    ("sample", "clips"),
    [
        ("interview.mp4", 0),
        ("podcast.m4a", 0),
        ("keynote.mp4", 0),
        ("conference.webm", 12),
        ("radio.ogg", 20),
    ],
)
def test_the_bundled_samples_are_accepted_with_their_durations(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str, sample: str, clips: int
) -> None:
    clip_function(monkeypatch, unique)  # a clips topic for the long ones
    response = ROOT / "standin" / "responses" / f"{sample.split('.')[0]}.json"
    authored_s = json.loads(response.read_text())["duration_s"]
    blob = put(stack, sample, (SAMPLES / sample).read_bytes(), "application/octet-stream")
    assert stack.deliver(blob) == 200
    doc = transcription_doc(blob)
    assert doc["duration_ms"] == round(authored_s * 1000)
    assert doc.get("clips", {}).get("count", 0) == clips
    assert doc["media"]["probe_bytes"] <= 128 * 1024
    assert len(stack.model_calls()) == (0 if clips else 1)
