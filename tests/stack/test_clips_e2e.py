"""Long media on the whole local stack (decision 0010): the upload fans out into clips, each
transcribed by `transcribe_clip` through the push subscription, merged by the store into the
layout apps read. Clips are forced short (2 minutes, 10 s overlap) so the bundled keynote is
clipped too; voices the overlaps and names cannot join are joined by the voices pass, so each
authored voice is one voice of the merged transcript."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.core.documents import transcription_id
from functions.format.models import ParseResult
from functions.format.parser import parse_text
from stack.follow import put, read_segments, wait_for_terminal
from stack.local import BUCKET, LocalStack
from tests.paths import ROOT
from tests.stack.conftest import running_stack

pytestmark = pytest.mark.emulator
SAMPLES = ROOT / "samples"
SHORT_CLIPS = {
    "TABSCRIBE_CLIP_THRESHOLD_S": "120",
    "TABSCRIBE_CLIP_S": "120",
    "TABSCRIBE_CLIP_OVERLAP_S": "10",
}


@pytest.fixture(scope="module")
def local() -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SHORT_CLIPS.items():
            patch.setenv(name, value)
        with running_stack("test-clips-e2e") as stack:
            yield stack


def answer(response: str) -> ParseResult:
    path = ROOT / "standin" / "responses" / f"{response}.json"
    return parse_text(json.loads(path.read_text())["text"])


def authored(response: str) -> list[tuple[int, str]]:
    return [(s.start_ms, s.text) for s in answer(response).segments]


def findable_names(response: str, ranges: list[dict[str, int]]) -> set[str]:
    """The authored names a clip can give: a model names a speaker in a clip where the evidence
    is and the speaker talks (the stand-in answers so)."""
    authored = answer(response)

    def in_clip(at_ms: int, clip: dict[str, int]) -> bool:
        return clip["start_ms"] <= at_ms < clip["end_ms"]

    return {
        s.name
        for s in authored.speakers
        if s.name
        and s.evidence_ms is not None
        and any(
            in_clip(s.evidence_ms, clip)
            and any(
                in_clip(row.start_ms, clip) for row in authored.segments if row.voice == s.voice
            )
            for clip in ranges
        )
    }


def transcribe(local: LocalStack, path: Path) -> tuple[dict, list[dict]]:  # type: ignore[type-arg]
    blob = put(path, "alice", {})
    doc = wait_for_terminal(blob.name, local.logs, blob.generation)
    return doc, read_segments(transcription_id(BUCKET, blob.name), doc)


@pytest.mark.parametrize(
    ("sample", "response", "clips"),
    [("keynote.mp4", "keynote", 6), ("conference.webm", "conference", 55)],
)
def test_long_media_completes_with_every_authored_row_once_in_order(
    local: LocalStack, sample: str, response: str, clips: int
) -> None:
    doc, segments = transcribe(local, SAMPLES / sample)
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert doc["clips"]["count"] == clips and doc["progress"]["clips_done"] == clips
    assert [(s["start_ms"], s["text"]) for s in segments] == authored(response)
    assert doc["progress"]["fraction"] == 1.0 and doc["usage"]["prompt_tokens"] > 0
    named = {s["name"] for s in doc["speakers"] if s["name"]}
    assert named == findable_names(response, doc["clips"]["ranges"])
    people = {
        (row.voice, s["voice"]) for row, s in zip(answer(response).segments, segments, strict=True)
    }
    assert len(people) == len({a for a, _ in people}) == len({m for _, m in people})  # one each
    assert "voice_unconfirmed" not in {issue["code"] for issue in doc["issues"]}
