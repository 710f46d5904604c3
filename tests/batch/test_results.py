"""A batch's way through the service and back (decision 0032): sealed at the maximum and submitted,
followed by the poll, its answers published as the runs' own chunks — the same chunks a
streamed request of the same upload publishes. Both APIs: the Gemini API's inlined requests,
Vertex's JSONL in Cloud Storage. Real emulators, the stand-in's batch jobs and the real SDK."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from functions.batch import submit
from functions.batch.poll import poll
from functions.core.documents import transcription_id
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
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
    assert all(ln["state"] == "done" and ln["outcome"] == "completed" for ln in lines_of())
    assert poll(get_settings()) == {}  # nothing left to move


def test_over_the_inline_limit_the_gemini_api_gets_an_uploaded_jsonl_file(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2")
    monkeypatch.setattr(submit, "INLINE_BYTES", 0)  # every batch past the create body's limit
    register(stack)
    blobs = []
    for local, kind in UPLOADS:
        blob = stack.upload(
            local, f"uploads/f{local[:4]}/{unique}-{local}", kind, {"priority": "batch"}
        )
        stack.deliver(blob)
        blobs.append((local, blob))
    [batch_id] = {ln["batch"] for ln in lines_of()}
    poll_until_done(batch_id)
    [job] = stack.stand_in.state.batches.all("developer")
    assert not job.inlined and job.body["inputConfig"]["fileName"].startswith("files/")
    runs = by_transcription(stack.results(expect_final=2))
    for local, blob in blobs:
        chunks = runs[transcription_id(blob.bucket.name, blob.name)]
        text = "".join(c.text or "" for c in chunks)
        assert chunks[-1].outcome == "completed" and ("Ada Lovelace" in text) is (
            local == "voice.m4a"
        )
