"""The re-drive topic through the transcriber's `transcribe_redrive` entry point: only a re-drive
the watchdog's sweep recorded on the document is run, with the object's data read from Cloud
Storage (functions/watch/redrive.py, decision 0021). Real emulators and the stand-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from functions_framework import create_app

from functions.core import clients
from functions.core.documents import transcription_id
from functions.watch import redrive
from tests.paths import ROOT
from tests.store.support import cloud_event
from tests.transcribe.conftest import Stack, transcription_doc

pytestmark = pytest.mark.emulator


def send(data: dict[str, Any], message_id: str) -> int:
    app = create_app(target="transcribe_redrive", source=str(ROOT / "main.py")).test_client()
    body = cloud_event(redrive.encode(data), message_id)
    body["data"]["message"]["publishTime"] = dt.datetime.now(dt.UTC).isoformat()  # not stale
    headers = {"Content-Type": "application/cloudevents+json"}
    return int(app.post("/", json=body, headers=headers).status_code)


def stall(blob: Any, redriven: bool) -> None:
    """The run's lease long expired, as the sweep finds a stalled run; re-driven if it did."""
    tid = transcription_id(blob.bucket.name, blob.name)
    ref = clients.firestore_client().collection("transcriptions").document(tid)
    fields: dict[str, Any] = {
        "lease.expires_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        "finished_runs": {},
    }
    if redriven:
        fields["redriven"] = {"generation": str(blob.generation), "at": dt.datetime.now(dt.UTC)}
    ref.update(fields)


def test_only_a_redrive_the_sweep_recorded_is_run_with_the_objects_own_data(
    stack: Stack,
) -> None:
    blob = stack.upload("voice.m4a", "uploads/bob/memo.m4a", "audio/mp4")
    assert stack.deliver(blob) == 200 and len(stack.model_calls()) == 1
    stack.results()
    stall(blob, redriven=False)
    never = stack.upload("voice.m4a", "uploads/carol/never.m4a", "audio/mp4")  # no document
    before = transcription_doc(blob)
    data = redrive.object_data(blob)
    forged = [
        data,  # the sweep never re-drove it
        redrive.object_data(never),  # an object nobody asked to transcribe
        {**data, "generation": str(int(blob.generation) + 1)},  # a generation that never was
        {**data, "name": "uploads/bob/other.m4a"},
    ]
    assert [send(d, f"forged-{n}") for n, d in enumerate(forged)] == [200] * len(forged)
    assert len(stack.model_calls()) == 1 and transcription_doc(never) == {}
    assert transcription_doc(blob) == before

    stall(blob, redriven=True)  # the sweep's record: now it runs, on the object's own data
    tampered = {**data, "metadata": {"model": "gemini-2.5-pro"}, "size": "1"}
    assert send(tampered, "sweep-1") == 200
    assert len(stack.model_calls()) == 2
    doc = transcription_doc(blob)
    assert doc["run"]["attempt"] == 2 and doc["source"]["size"] == blob.size
    assert doc["model"] == before["model"]
