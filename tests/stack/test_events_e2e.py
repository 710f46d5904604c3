"""Sound events through the whole local stack (decision 0025): the keynote uploaded with
`events=true` comes out with the stand-in's authored events on its document and in its exports;
uploaded without, the request does not ask for them and the document has none."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import srt  # type: ignore[import-untyped]
import webvtt

from functions.core import clients
from functions.transcribe.prompt import build_prompt
from stack.follow import upload
from stack.local import LocalStack
from tests.paths import ROOT
from tests.stack.long_media import standin
from tests.stack.test_e2e import SAMPLES, _wait

pytestmark = pytest.mark.emulator
EVENTS = json.loads((ROOT / "standin" / "responses" / "keynote.json").read_text())["events"]


def _export(uri: str) -> str:
    bucket, name = uri.removeprefix("gs://").split("/", 1)
    return str(clients.storage_client().bucket(bucket).blob(name).download_as_text())


def _prompts(local: LocalStack, before: int) -> list[dict[str, Any]]:
    return [c for c in standin(local, "calls")["calls"][before:] if c["method"] != "countTokens"]


def test_the_keynote_asked_for_events_has_them_on_its_document_and_exports(
    local: LocalStack,
) -> None:
    before = len(standin(local, "calls")["calls"])
    name = upload(SAMPLES / "keynote.mp4", "eve-events", {"events": "true"})
    doc = _wait(name, timeout=120)
    assert doc["status"] == "completed" and doc["complete"] is True
    assert doc["events"] == [{**event} for event in EVENTS]
    assert [call.get("events") for call in _prompts(local, before)] == [len(EVENTS)]
    assert not [issue for issue in doc["issues"] if "event" in issue["code"]]
    export = json.loads(_export(doc["exports"]["json"]))
    assert export["events"] == EVENTS
    assert all(not s["text"].startswith("[") for s in export["segments"])
    vtt = webvtt.read_buffer(io.StringIO(_export(doc["exports"]["vtt"])))
    cues = [(c.start_in_seconds, c.end_in_seconds) for c in vtt if c.text == "[applause]"]
    assert cues == [(e["start_ms"] / 1000, e["end_ms"] / 1000) for e in EVENTS]
    subtitles = list(srt.parse(_export(doc["exports"]["srt"])))
    assert sum(s.content == "[applause]" for s in subtitles) == len(EVENTS)


def test_the_keynote_not_asked_for_events_has_none_and_the_request_of_before(
    local: LocalStack,
) -> None:
    """`events=false` (as no `events` with the default settings): the request is today's, its
    prompt the one without the table (byte-identical to before: tests/transcribe/test_prompt.py)
    and the same plan as a request that asks."""
    before = len(standin(local, "calls")["calls"])
    name = upload(SAMPLES / "keynote.mp4", "eve-no-events", {"events": "false"})
    doc = _wait(name, timeout=120)
    assert doc["status"] == "completed" and "events" not in doc
    (call,) = _prompts(local, before)
    assert "events" not in call
    assert call["prompt_chars"] == len(build_prompt(doc["duration_ms"] / 1000, True, {}))
    asked = upload(SAMPLES / "keynote.mp4", "eve-asked", {"events": "true"})
    _wait(asked, timeout=120)
    (asking,) = _prompts(local, before)[1:]
    assert (asking["generation_config"], asking["media"][0]["fps"]) == (
        call["generation_config"],
        call["media"][0]["fps"],
    )
    assert asking["prompt_chars"] > call["prompt_chars"]
    assert "events" not in json.loads(_export(doc["exports"]["json"]))
    assert "[applause]" not in _export(doc["exports"]["vtt"])
