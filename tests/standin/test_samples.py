"""The bundled samples (samples/, docs/samples.md) and their authored stand-in responses agree."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from functions.format.parser import parse_text
from functions.transcribe.media import probe
from standin.registry import BUNDLED_DIR, Registry
from tests.paths import ROOT

# name: (content type, has_video, segments, speakers)
EXPECTED = {
    "interview": ("video/mp4", True, 14, 2),
    "podcast": ("audio/mp4", False, 10, 3),
    "keynote": ("video/mp4", True, 218, 5),
}


def load(name: str) -> tuple[dict[str, object], Path]:
    response = json.loads((BUNDLED_DIR / f"{name}.json").read_text("utf-8"))
    media = (BUNDLED_DIR.parent / str(response["media"])).resolve()  # relative to standin/
    assert media.parent == ROOT / "samples"
    return response, media


@pytest.mark.parametrize("name", EXPECTED)
def test_response_parses_completely(name: str) -> None:
    response, _ = load(name)
    _, _, segments, speakers = EXPECTED[name]
    duration_ms = round(float(response["duration_s"]) * 1000)  # type: ignore[arg-type]
    result = parse_text(str(response["text"]), duration_ms)
    assert result.complete
    assert result.issues == []
    assert len(result.segments) == segments
    assert len(result.speakers) == speakers
    assert all(s.name and s.company and s.position and s.role for s in result.speakers)
    assert all(s.evidence_ms is not None for s in result.speakers)
    assert all(0 <= s.start_ms < duration_ms for s in result.segments)
    starts = [s.start_ms for s in result.segments]
    assert starts == sorted(starts)


@pytest.mark.parametrize("name", EXPECTED)
def test_media_matches_response(name: str) -> None:
    response, media = load(name)
    content_type, has_video, _, _ = EXPECTED[name]
    data = media.read_bytes()
    assert hashlib.sha256(data).hexdigest() == response["sha256"]
    assert response["has_video"] is has_video
    with media.open("rb") as f:
        info = probe(f, content_type, len(data))
    assert info.duration_s is not None
    assert abs(info.duration_s - float(response["duration_s"])) <= 0.5  # type: ignore[arg-type]
    assert (info.has_video, info.has_audio) == (has_video, True)
    assert info.mime_type == content_type
    entry = Registry().by_sha256(str(response["sha256"]))
    assert entry is not None and entry.name == name


def test_keynote_is_long() -> None:
    response, media = load("keynote")
    assert 600 <= float(response["duration_s"]) <= 660  # type: ignore[arg-type]
    assert media.stat().st_size < 2_000_000
