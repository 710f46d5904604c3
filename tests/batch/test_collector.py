"""Choosing batch and the collector (decisions 0031, 0032): a batch upload is probed and planned as
usual, its request added to the open batch in one transaction, the document `queued`; a batch is
sealed at `TABSCRIBE_BATCH_MAX` and submitted by the add that sealed it; a redelivery adds
nothing. Real emulators, the stand-in (real SDK) and the transcriber served by
functions-framework."""

from __future__ import annotations

import pytest

from tests.batch.support import batch, batch_env, clean_batches, lines_of
from tests.transcribe.conftest import Stack, transcription_doc

pytestmark = pytest.mark.emulator
FILES_API = "https://generativelanguage.googleapis.com/v1beta/files/"


@pytest.fixture(autouse=True)
def _clean(emulators: object) -> None:
    clean_batches()


def test_a_batch_upload_is_queued_as_one_line_and_calls_no_model(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="50")
    blob = stack.upload(
        "clip.mp4", f"uploads/alice/{unique}.mp4", "video/mp4", {"priority": "batch"}
    )
    assert stack.deliver(blob) == 200
    doc = transcription_doc(blob)
    assert (doc["status"], doc["priority"]) == ("queued", "batch")
    assert stack.model_calls() == []
    [line] = lines_of()
    assert line["key"].endswith(f"-{doc['run']['generation']}-{doc['run']['attempt']}")
    assert (line["state"], line["clip"], line["plan"]) == ("added", None, doc["plan"])
    media, prompt = line["request"]["contents"][0]["parts"]
    assert media["file_data"]["file_uri"].startswith(FILES_API)  # the standard path's copy
    assert media["file_data"]["file_uri"] == line["media_file"]["uri"]
    assert prompt["text"] == line["prompt"] and "Transcribe" in prompt["text"]
    opened = batch(line["batch"])
    assert (opened["state"], opened["count"], opened["job"]) == ("open", 1, None)
    assert stack.deliver(blob) == 200  # a redelivery: the run is done here, no second line
    assert batch(line["batch"])["count"] == 1 and len(lines_of()) == 1


def test_the_add_that_reaches_the_maximum_seals_and_submits(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2", TABSCRIBE_BATCH_PREFIXES='["archive/"]')
    names = [f"uploads/u{n}/archive/{unique}.m4a" for n in range(3)]
    for name in names:
        assert stack.deliver(stack.upload("voice.m4a", name, "audio/mp4")) == 200
    found = lines_of()
    assert sorted(ln["object"]["name"] for ln in found) == names
    batches = {ln["batch"] for ln in found}
    assert len(batches) == 2
    states = sorted((batch(b)["state"], batch(b)["count"]) for b in batches)
    assert states == [("open", 1), ("submitted", 2)]
    [sealed] = [b for b in batches if batch(b)["state"] == "submitted"]
    [job] = stack.stand_in.state.batches.all("developer")
    assert (job.name, job.display_name) == (batch(sealed)["job"], sealed)
    keys = sorted(ln["key"] for ln in found if ln["batch"] == sealed)
    assert job.body["inputConfig"]["fileName"].startswith("files/")  # a JSONL file, never inlined
    assert sorted(j.echo["key"] for j in job.lines or []) == keys
