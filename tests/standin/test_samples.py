"""The bundled samples (samples/, docs/samples.md) and their authored stand-in responses agree."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path

import pytest

from functions.core.catalog import catalog
from functions.core.settings import Settings
from functions.format.models import ParseResult
from functions.format.parser import end_times, parse_text
from functions.transcribe.clips import ClipRange, plan_for
from functions.transcribe.media import probe
from standin.registry import BUNDLED_DIR, Registry, entry_from_dict
from tests.paths import ROOT

# name: (content type, has_video, segments, speakers)
EXPECTED = {
    "interview": ("video/mp4", True, 14, 2),
    "podcast": ("audio/mp4", False, 10, 3),
    "keynote": ("video/mp4", True, 218, 5),
    "conference": ("video/webm", True, 252, 31),
    "radio": ("audio/ogg", False, 209, 34),
}
LONG = {"conference": 6000, "radio": 10800}  # seconds, about
UNNAMED = {"conference": "Stage manager", "radio": "Station announcer"}  # role of the `?` voice


def load(name: str) -> tuple[dict[str, object], Path]:
    response = json.loads((BUNDLED_DIR / f"{name}.json").read_text("utf-8"))
    media = (BUNDLED_DIR.parent / str(response["media"])).resolve()  # relative to standin/
    assert media.parent == ROOT / "samples"
    return response, media


def served(response: dict[str, object]) -> str:
    """The whole media's answer the stand-in serves for the response: its rows written out."""
    return entry_from_dict(response).text


@pytest.mark.parametrize("name", EXPECTED)
def test_response_parses_completely(name: str) -> None:
    response, _ = load(name)
    _, _, segments, speakers = EXPECTED[name]
    duration_ms = round(float(response["duration_s"]) * 1000)  # type: ignore[arg-type]
    result = parse_text(served(response), duration_ms)
    assert result.complete
    assert result.issues == []
    assert len(result.segments) == segments
    assert len(result.speakers) == speakers
    named = [s for s in result.speakers if s.role != UNNAMED.get(name)]
    assert len(named) == speakers - (name in UNNAMED)
    assert all(s.name and s.company and s.position and s.role for s in named)
    assert all(s.evidence_ms is not None for s in named)
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
    assert all(catalog().mime_type(content_type, mode) for mode in ("developer", "vertex"))
    assert info.bytes_read <= 128 * 1024  # the header, not the whole file
    entry = Registry().by_sha256(str(response["sha256"]))
    assert entry is not None and entry.name == name


def test_keynote_is_long() -> None:
    response, media = load("keynote")
    assert 600 <= float(response["duration_s"]) <= 660  # type: ignore[arg-type]
    assert media.stat().st_size < 2_000_000


def default_clips(duration_s: float) -> list[ClipRange]:
    return plan_for(duration_s, Settings.model_construct())


def long_sample(name: str) -> tuple[ParseResult, list[ClipRange], int]:
    """The parsed response, the default clip plan of its duration, and its unnamed voice."""
    response, media = load(name)
    duration_s = float(response["duration_s"])  # type: ignore[arg-type]
    assert abs(duration_s - LONG[name]) < 60
    assert media.stat().st_size < 4_000_000
    result = parse_text(served(response), round(duration_s * 1000))
    (unnamed,) = [s for s in result.speakers if s.name is None]
    assert unnamed.role == UNNAMED[name] and unnamed.evidence_ms is None
    return result, default_clips(duration_s), unnamed.voice


def clips_of(clips: list[ClipRange], ms: int) -> set[int]:
    return {c.index for c in clips if c.start_ms <= ms < c.end_ms}


@pytest.mark.parametrize("name", LONG)
def test_the_unnamed_voice_recurs_but_never_inside_an_overlap(name: str) -> None:
    """The hard case of clip merging: a voice that no clip names and no overlap can match. Its
    rows end, at the latest, where the next row starts."""
    result, clips, unnamed = long_sample(name)
    assert len(clips) >= 10
    overlaps = [(later.start_ms, earlier.end_ms) for earlier, later in itertools.pairwise(clips)]
    ends = end_times([s.start_ms for s in result.segments], clips[-1].end_ms)
    spans = [(s.start_ms, end) for s, end in zip(result.segments, ends, strict=True)]
    rows = [span for span, s in zip(spans, result.segments, strict=True) if s.voice == unnamed]
    for start, end in rows:
        assert end is not None
        assert all(end <= a or start >= b for a, b in overlaps), start
    assert len(set().union(*(clips_of(clips, start) for start, _ in rows))) >= 5


@pytest.mark.parametrize("name", LONG)
def test_others_speak_in_every_overlap_and_are_named_where_they_speak(name: str) -> None:
    result, clips, unnamed = long_sample(name)
    for earlier, later in itertools.pairwise(clips):
        inside = [s for s in result.segments if later.start_ms <= s.start_ms < earlier.end_ms]
        assert inside and all(s.voice != unnamed for s in inside)
    for speaker in result.speakers:
        if speaker.evidence_ms is not None:
            speaking = set().union(
                *(clips_of(clips, s.start_ms) for s in result.segments if s.voice == speaker.voice)
            )
            assert clips_of(clips, speaker.evidence_ms) & speaking, speaker.name


# -- the authored enrichments (docs/samples.md, "Enrichments") ------------------------------------

TRANSLATED = {"interview": ("fr",), "keynote": ("fr",)}
CHAPTERED = ("keynote", "conference")
_NAME_RUN = re.compile(r"[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)+")  # two or more capitalised words


@pytest.mark.parametrize("name", TRANSLATED)
def test_a_translation_has_one_text_per_row(name: str) -> None:
    response, _ = load(name)
    rows = response["rows"]
    translations = response["translations"]
    assert isinstance(rows, list) and isinstance(translations, dict)
    assert tuple(translations) == TRANSLATED[name]
    for texts in translations.values():
        assert len(texts) == len(rows)
        assert all(isinstance(t, str) and t.strip() == t and t for t in texts)
        assert len(set(texts)) == len({r["text"] for r in rows})  # same rows, same texts
    assert Registry().by_sha256(str(response["sha256"])) is not None  # the registry takes it


@pytest.mark.parametrize("name", CHAPTERED)
def test_chapters_start_at_rows_in_time_order(name: str) -> None:
    response, _ = load(name)
    chapters = response["chapters"]
    assert isinstance(chapters, list) and 5 <= len(chapters) <= 12
    starts = [round(c["start_s"] * 1000) for c in chapters]
    assert starts == sorted(set(starts))
    row_starts = {r["start_ms"] for r in response["rows"]}  # type: ignore[attr-defined]
    assert set(starts) <= row_starts
    assert starts[-1] < float(response["duration_s"]) * 1000  # type: ignore[arg-type]
    assert all(c["title"] and "\t" not in c["title"] for c in chapters)


@pytest.mark.parametrize("name", CHAPTERED)
def test_the_summary_is_short_and_names_only_authored_speakers(name: str) -> None:
    response, _ = load(name)
    summary = str(response["summary"])
    assert len(summary.split()) <= 120 and "\n" not in summary
    speakers: list[dict[str, str | None]] = response["speakers"]  # type: ignore[assignment]
    named = [s for s in speakers if s["name"]]
    for speaker in named:  # who talks to the room is named as the speakers table names them
        if speaker["role"] != "Audience member":
            assert str(speaker["name"]) in summary
    said = sorted(
        {str(s[key]) for s in named for key in ("name", "company", "position") if s[key]},
        key=len,
        reverse=True,
    )
    rest = summary
    for words in said:
        rest = rest.replace(words, "|")
    assert _NAME_RUN.findall(rest) == []  # no other name, nor a name misspelt
