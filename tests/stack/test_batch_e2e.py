"""Batch mode on the whole local stack (issue 28's "done when", decision 0032): short uploads and
the 100-minute conference, all `priority=batch`, through the transcriber's collector, the
scheduler's `batch_poll` (submit, follow, answers as the runs' chunks), the store and the voices
pass, itself a line of a later batch (decision 0033): every one `completed` with exactly its own
transcript and one voice per person, no request lost or sent twice, in the batches the settings
imply (the "batch" stack: 8 requests a batch, or sealed 10 s after its first). The stand-in
serves the jobs (Vertex: JSONL in the storage emulator)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from functions.core import clients
from functions.core.documents import transcription_id
from stack.follow import put
from stack.local import BUCKET, LocalStack
from tests.paths import ROOT
from tests.stack.long_media import SAMPLES, answer, authored, finish, model_calls, rows, standin

pytestmark = pytest.mark.emulator
BATCH_STACK = pytest.mark.parametrize("shared_stack", ["batch"], indirect=True)
BATCH_MAX = 8
SHORT_UPLOADS = 100  # the issue's count
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
    assert len(lines) == SHORT_UPLOADS + CONFERENCE_CLIPS + 1  # a run, a clip, the voices pass
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
    assert len(calls) == len(lines) and all(c.get("batch") for c in calls)  # none streamed
    assert sum(1 for c in calls if c.get("voices")) == 1


HOOK = """import os

from functions.batch import submit

submit.after_create = lambda batch_id: os._exit(70)  # killed right after the service's create
"""


def put_interviews(run: str, tag: str, count: int) -> list[Any]:
    return [
        put(SAMPLES / "interview.mp4", f"{run}-{tag}{n}", {"priority": "batch"})
        for n in range(count)
    ]


def wait_until(what: str, check: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not {what} after {timeout_s:g} s"
        time.sleep(0.25)


@BATCH_STACK
def test_a_killed_submitter_a_failed_line_and_a_failed_job_lose_nothing(
    local: LocalStack, tmp_path: Path
) -> None:
    run = f"f{uuid.uuid4().hex[:6]}"
    # 1. The submitter killed between the service's create and its record: seven adds, then the
    # transcriber restarted with a hook that ends its worker process right after the create, then
    # the eighth add, which seals the batch and submits it. Its redelivery finds the run finished;
    # the poll takes the batch over once its lease lapses and finds the job by its display name.
    killed = put_interviews(run, "k", 7)
    ids = {transcription_id(BUCKET, blob.name) for blob in killed}
    wait_until("queued", lambda: len(lines_of(ids)) == 7)
    (tmp_path / "sitecustomize.py").write_text(HOOK)
    local.restart("transcribe_upload", {"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    killed += put_interviews(run, "k8-", 1)
    log = local.logs / "transcribe_upload.log"  # the server starts a new worker in its place
    wait_until("killed", lambda: "exited with code 70" in log.read_text())
    local.restart("transcribe_upload")
    done = {blob.name: finish(local, blob) for blob in killed}
    # 2. A failed line: the first line answered fails once (503) and retries in the next batch.
    standin(local, "faults", [{"status": 503, "times": 1}])
    failed_line = put_interviews(run, "l", 8)
    done |= {blob.name: finish(local, blob) for blob in failed_line}
    # 3. A failed job: its eight lines are re-queued once, in a batch of their own.
    standin(local, "batches", {"faults": ["failed"]})
    failed_job = put_interviews(run, "j", 8)
    done |= {blob.name: finish(local, blob) for blob in failed_job}

    for doc, segments in done.values():
        assert doc["status"] == "completed", doc.get("reason")
        assert rows(segments) == authored("interview")
        assert one_voice_per_person("interview", segments)
    tids = {transcription_id(BUCKET, name) for name in done}
    lines = lines_of(tids)
    outcomes = Counter(ln["outcome"] for ln in lines)
    assert outcomes == {"completed": 24, "retried": 9}  # one line, then a job's eight
    assert len({ln["key"] for ln in lines}) == len(lines) == 33
    batches = {ln["batch"]: batch(ln["batch"]) for ln in lines}
    counts = sorted(b["count"] for b in batches.values())
    assert counts == [1, 8, 8, 8, 8]  # the retried line alone, sealed by its wait
    jobs = standin(local, "batches")["jobs"]
    assert len(jobs) == len(batches)  # the killed submitter's job created once
    assert Counter(j["state"] for j in jobs)["JOB_STATE_FAILED"] == 1
