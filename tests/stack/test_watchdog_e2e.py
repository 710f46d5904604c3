"""The watchdog on the whole local stack (`make demo`'s): a dead-lettered chunk, a stalled run
re-driven then failed, the store killed and restarted, an object name with a newline."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from typing import Any

import pytest
from google.cloud import firestore

from functions.core import clients
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, transcription_id
from stack.follow import upload
from stack.local import BUCKET, LocalStack
from tests.paths import ROOT

pytestmark = pytest.mark.emulator
SAMPLES = ROOT / "samples"
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _ref(name: str) -> firestore.DocumentReference:
    tid = transcription_id(BUCKET, name)
    return clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)


def _wait(name: str, done: Any, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = _ref(name).get().to_dict() or {}
        if done(doc):
            return doc
        time.sleep(0.3)
    raise AssertionError(f"{name!r} not there in {timeout} s: {_ref(name).get().to_dict()}")


def _finished(doc: dict[str, Any]) -> bool:
    return doc.get("status") in TERMINAL and bool((doc.get("event") or {}).get("published"))


def _stall(name: str) -> None:
    """Make the document look like a run whose transcriber died mid-run long ago."""
    _ref(name).update(
        {
            "status": "processing",
            "lease.expires_at": LONG_AGO,
            "updated_at": LONG_AGO,
            "finished_runs": firestore.DELETE_FIELD,
            "event": firestore.DELETE_FIELD,
        }
    )


def _model_calls(local: LocalStack, needle: str) -> int:
    url = f"{local.env['TABSCRIBE_GEMINI_BASE_URL']}/_standin/calls"
    with urllib.request.urlopen(url, timeout=10) as response:
        calls = json.loads(response.read())["calls"]
    return sum(1 for c in calls if c.get("method") != "countTokens" and needle in str(c))


def test_an_object_named_with_non_ascii_and_a_newline_is_transcribed(local: LocalStack) -> None:
    name = "uploads/zoë/our talk\nsecond line ü.mp4"
    blob = clients.storage_client().bucket(BUCKET).blob(name)
    blob.upload_from_filename(str(SAMPLES / "interview.mp4"), content_type="video/mp4")
    doc = _wait(name, _finished)
    assert doc["status"] == "completed" and doc["owner"] == "zoë"
    assert doc["source"]["name"] == name and doc["counts"]["segments"] == 14


def test_a_stalled_run_is_redriven_once_and_completes_then_a_second_stall_fails(
    local: LocalStack,
) -> None:
    name = upload(SAMPLES / "podcast.m4a", "stall", {})
    first = _wait(name, _finished)
    assert first["status"] == "completed" and _model_calls(local, "podcast") == 1

    _stall(name)
    local.scheduler.tick()  # as Cloud Scheduler would, without waiting for the next one
    doc = _wait(name, lambda d: d.get("run", {}).get("attempt") == 2 and _finished(d))
    assert (
        doc["status"] == "completed" and doc["redriven"]["generation"] == first["run"]["generation"]
    )
    assert doc["counts"]["segments"] == first["counts"]["segments"]
    assert _model_calls(local, "podcast") == 2

    _stall(name)
    local.scheduler.tick()
    doc = _wait(name, _finished)
    assert doc["status"] == "failed" and "after one re-drive" in doc["reason"]
    assert doc["ended_by"] == "sweep" and _model_calls(local, "podcast") == 2


def test_with_the_store_killed_past_its_retries_the_run_fails_naming_the_lost_chunk(
    local: LocalStack,
) -> None:
    store = next(s for s in local.services if s.name == "store_transcription")
    store.stop()  # every delivery fails until Pub/Sub dead-letters the chunks
    try:
        name = upload(SAMPLES / "interview.mp4", "killed", {})
        doc = _wait(name, _finished, timeout=120)
    finally:
        local.restart("store_transcription")
    assert doc["status"] == "failed" and doc["ended_by"] == "dead-letter"
    assert "results chunk" in doc["reason"] and "(dead-lettered)" in doc["reason"]
    # the store back: a new upload completes, and no transcription is left processing
    later = upload(SAMPLES / "interview.mp4", "after", {})
    assert _wait(later, _finished)["status"] == "completed"
    processing = (
        clients.firestore_client()
        .collection(TRANSCRIPTIONS)
        .where(filter=firestore.FieldFilter("status", "==", "processing"))
    )
    assert [d.id for d in processing.stream()] == []
