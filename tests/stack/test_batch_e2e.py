"""Batch mode on the whole local stack (issue 28's "done when", decision 0032): short uploads and
the 100-minute conference, all `priority=batch`, through the transcriber's collector, the
scheduler's `batch_poll` (submit, follow, answers as the runs' chunks), the store and the voices
pass: every one `completed` with exactly its own transcript and one voice per person, no request
lost or sent twice, in the batches the settings imply (the "batch" stack: 8 requests a batch, or
sealed 20 s after its first). The stand-in serves the jobs (Vertex: JSONL in the storage
emulator)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from functions.core import clients
from functions.core.documents import transcription_id
from stack.follow import put
from stack.local import BUCKET, LocalStack
from tests.stack.long_media import SAMPLES, answer, authored, finish, model_calls, rows, standin

pytestmark = pytest.mark.emulator
BATCH_STACK = pytest.mark.parametrize("shared_stack", ["batch"], indirect=True)
BATCH_MAX = 8
SHORT_UPLOADS = 20  # the issue asks for 100: set it and measure (docs/performance.md)
CONFERENCE_CLIPS = 12  # the default clip plan of the 100-minute conference


def one_voice_per_person(response: str, segments: list[dict[str, Any]]) -> bool:
    people = {
        (row.voice, s["voice"]) for row, s in zip(answer(response).rows, segments, strict=True)
    }
    return len(people) == len({a for a, _ in people}) == len({m for _, m in people})


def lines_of(tids: set[str]) -> list[dict[str, Any]]:
    found = clients.firestore_client().collection("batch_lines").stream()
    return [d for s in found if (d := s.to_dict() or {}).get("transcription_id") in tids]


def batch(batch_id: str) -> dict[str, Any]:
    return clients.firestore_client().collection("batches").document(batch_id).get().to_dict() or {}


def upload_all(run: str) -> tuple[list[Any], Any]:
    interviews = [
        put(SAMPLES / "interview.mp4", f"{run}-{n:03d}", {"priority": "batch"})
        for n in range(SHORT_UPLOADS)
    ]
    conference = put(SAMPLES / "conference.webm", f"{run}-conf", {"priority": "batch"})
    return interviews, conference


@BATCH_STACK
def test_short_uploads_and_the_conference_complete_through_batches(local: LocalStack) -> None:
    run = f"b{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    interviews, conference = upload_all(run)
    docs = {blob.name: finish(local, blob) for blob in [*interviews, conference]}
    elapsed = time.monotonic() - started
    print(f"{SHORT_UPLOADS} interviews + the conference through batch mode: {elapsed:.1f} s")

    for blob in interviews:
        doc, segments = docs[blob.name]
        assert doc["status"] == "completed" and doc["cost"]["tier"] == "batch", doc.get("reason")
        assert rows(segments) == authored("interview")  # exactly its own transcript
        assert one_voice_per_person("interview", segments)
    doc, segments = docs[conference.name]
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert doc["clips"]["count"] == CONFERENCE_CLIPS and doc["cost"]["tier"] == "batch"
    assert rows(segments) == authored("conference")
    assert one_voice_per_person("conference", segments)

    tids = {transcription_id(BUCKET, blob.name) for blob in [*interviews, conference]}
    lines = lines_of(tids)
    assert len(lines) == SHORT_UPLOADS + CONFERENCE_CLIPS  # one per run and clip: none lost
    assert len({ln["key"] for ln in lines}) == len(lines)  # none twice
    assert {ln["outcome"] for ln in lines} == {"completed"}
    batches = {ln["batch"]: batch(ln["batch"]) for ln in lines}
    for found in batches.values():  # full, or sealed at the tick after its wait
        assert found["count"] == BATCH_MAX or found["sealed_at"] >= found["seal_by"], found
        assert found["state"] == "done"
    assert sum(b["count"] for b in batches.values()) == len(lines)
    full = sum(b["count"] == BATCH_MAX for b in batches.values())
    assert full >= (len(lines) - BATCH_MAX) // BATCH_MAX  # no batch sealed short while adds came
    jobs = standin(local, "batches")["jobs"]
    assert len(jobs) == len(batches) and sum(j["lines"] for j in jobs) == len(lines)  # once each
    calls = model_calls(local)
    assert sum(1 for c in calls if c.get("batch")) == len(lines)
    assert [c for c in calls if not c.get("batch")] == [  # the voices pass alone is standard
        c for c in calls if c.get("voices")
    ]
