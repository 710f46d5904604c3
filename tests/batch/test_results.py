"""A batch's way through the service and back (decision 0032): sealed at the maximum and submitted,
followed by the poll, its answers published as the runs' own chunks — the same chunks a
streamed request of the same upload publishes; each answer found by its line's key, whatever
order the output comes in (decision 0034). Both APIs: the Gemini API's JSONL file uploaded to the
Files API, Vertex's JSONL in Cloud Storage. Real emulators, the stand-in's batch jobs and the real
SDK."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import pytest

from functions.batch import lines
from functions.batch.poll import poll
from functions.batch.results import SETTLED_KEPT
from functions.core.documents import transcription_id
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from standin.batches import Job
from tests.batch.support import batch, batch_env, clean_batches, lines_of
from tests.paths import ROOT
from tests.transcribe.conftest import BOTH_MODES, Stack, media_bytes, transcription_doc

pytestmark = pytest.mark.emulator
UPLOADS = [("clip.mp4", "video/mp4"), ("voice.m4a", "audio/mp4")]
TRAILER = (ROOT / "tests" / "data" / "trailer.tsv.txt").read_text()
ANSWERS = {"clip.mp4": TRAILER, "voice.m4a": TRAILER.replace("Hannah Fry", "Ada Lovelace")}


def register(stack: Stack) -> None:
    """Each media its own answer: a run given the other's would show."""
    for local, _ in UPLOADS:
        video = local.endswith(".mp4")
        stack.stand_in.register(
            ANSWERS[local], duration_s=2.5, has_video=video, media=media_bytes(local)
        )


@pytest.fixture(autouse=True)
def _clean(emulators: object) -> None:
    clean_batches()


def by_transcription(chunks: list[ResultChunk]) -> dict[str, list[ResultChunk]]:
    runs: dict[str, list[ResultChunk]] = defaultdict(list)
    for chunk in chunks:
        runs[chunk.transcription_id].append(chunk)
    return runs


def sent(job: Job) -> list[str]:
    """What names each input line of a stand-in job, in input order: the Gemini API's `key`,
    Vertex's request label."""
    if job.mode == "developer":
        return [line.echo["key"] for line in job.lines or []]
    return [line.request["labels"][lines.LABEL] for line in job.lines or []]


def answered(job: Job) -> list[str | None]:
    """What names each output line of a stand-in job, in output order."""
    if job.mode == "developer":
        return [row.get("key") for row in job.answers]
    return [lines.labelled(row) for row in job.answers]


def named(job: Job, keys: list[str]) -> list[str]:
    """`keys` as the job's lines name them."""
    return keys if job.mode == "developer" else [lines.label(key) for key in keys]


def poll_until_done(batch_id: str, timeout_s: float = 30.0) -> list[dict[str, str]]:
    ticks = []
    deadline = time.monotonic() + timeout_s
    while batch(batch_id).get("state") != "done" and time.monotonic() < deadline:
        ticks.append(poll(get_settings()))
        time.sleep(0.2)
    return ticks


@BOTH_MODES
def test_a_batch_s_answers_are_the_runs_own_chunks(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2")
    register(stack)
    standard = {}
    for local, kind in UPLOADS:  # the standard path's chunks of the same media
        blob = stack.upload(local, f"uploads/std/{unique}-{local}", kind)
        assert stack.deliver(blob) == 200
        standard[local] = by_transcription(stack.results())[
            transcription_id(blob.bucket.name, blob.name)
        ]
    calls = len(stack.model_calls())
    blobs = {}
    for local, kind in UPLOADS:
        blob = stack.upload(
            local, f"uploads/b{local[:4]}/{unique}-{local}", kind, {"priority": "batch"}
        )
        assert stack.deliver(blob) == 200
        assert transcription_doc(blob)["status"] == "queued"
        blobs[local] = blob
    [batch_id] = {ln["batch"] for ln in lines_of()}
    assert batch(batch_id)["state"] == "submitted"
    ticks = poll_until_done(batch_id)
    assert ticks[-1] == {batch_id: "done"}
    runs = by_transcription(stack.results(expect_final=2))
    for local, blob in blobs.items():
        assert standard[local][-1].outcome == "completed"
        chunks = runs[transcription_id(blob.bucket.name, blob.name)]
        doc = transcription_doc(blob)
        assert [c.seq for c in chunks] == list(range(len(chunks)))
        assert {(c.generation, c.attempt) for c in chunks} == {(doc["run"]["generation"], 1)}
        assert chunks[-1].final and chunks[-1].outcome == "completed"
        assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens > 0
        text = "".join(c.text or "" for c in chunks)
        assert text == "".join(c.text or "" for c in standard[local])
        assert ("Ada Lovelace" in text) is (local == "voice.m4a")
    batched = [c for c in stack.model_calls()[calls:] if c.get("batch")]
    assert len(batched) == 2 and {c["batch"] for c in batched} == {batch(batch_id)["job"]}
    [job] = stack.stand_in.state.batches.all(stack.mode)
    assert not job.inlined  # a JSONL file (Gemini API) or object (Vertex), each line named
    assert sorted(sent(job)) == sorted(named(job, [ln["key"] for ln in lines_of()]))
    assert all(ln["state"] == "done" and ln["outcome"] == "completed" for ln in lines_of())
    assert poll(get_settings()) == {}  # nothing left to move
    done_at = batch(batch_id)["done_at"]  # kept 30 days, then Firestore's TTL deletes them
    for settled in [batch(batch_id), *lines_of()]:
        assert abs(settled["expire_at"] - done_at - SETTLED_KEPT) < dt.timedelta(minutes=1)


@BOTH_MODES
def test_output_lines_in_another_order_land_each_on_its_own_line(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2")
    register(stack)
    stack.stand_in.state.batches.set_faults(["reordered"])  # output in the input's reverse order
    blobs = []
    for local, kind in UPLOADS:
        blob = stack.upload(
            local, f"uploads/o{local[:4]}/{unique}-{local}", kind, {"priority": "batch"}
        )
        stack.deliver(blob)
        blobs.append((local, blob))
    [batch_id] = {ln["batch"] for ln in lines_of()}
    poll_until_done(batch_id)
    [job] = stack.stand_in.state.batches.all(stack.mode)
    assert answered(job) == list(reversed(sent(job))) and len(sent(job)) == 2
    runs = by_transcription(stack.results(expect_final=2))
    for local, blob in blobs:
        chunks = runs[transcription_id(blob.bucket.name, blob.name)]
        text = "".join(c.text or "" for c in chunks)
        assert chunks[-1].outcome == "completed"
        assert ("Ada Lovelace" in text, "Hannah Fry" in text) == (
            (True, False) if local == "voice.m4a" else (False, True)
        )
