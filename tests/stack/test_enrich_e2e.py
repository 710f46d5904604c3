"""Enrichments through the whole local stack (decision 0026): the store starts them when the
transcript completes, the clips topic carries their tasks, the enrichment room records them. The
interview comes out with a French translation of every row and French subtitles, which follow
its owner's renaming of a speaker; the 100-minute
conference with its chapters and summary; a second upload of the interview that asks for none
leaves none of the first run's."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pysubs2
import pytest

from functions.core import clients
from functions.core.documents import PAGES, TRANSCRIPTIONS, transcription_id
from stack.accounts import id_token
from stack.follow import put, upload, wait_for_enrichments, wait_for_terminal
from stack.local import BUCKET, CORRECTIONS_TARGET, LocalStack
from tests.stack.long_media import standin
from tests.stack.test_e2e import SAMPLES, _wait
from tests.web.enriched import authored

pytestmark = pytest.mark.emulator
INTERVIEW, CONFERENCE = authored("interview"), authored("conference")


def _ref(name: str) -> Any:
    tid = transcription_id(BUCKET, name)
    return clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)


def _export(uri: str) -> str:
    bucket, name = uri.removeprefix("gs://").split("/", 1)
    return str(clients.storage_client().bucket(bucket).blob(name).download_as_text())


def _rename(local: LocalStack, owner: str, tid: str, voice: int, name: str) -> None:
    """The owner's correction through the corrections function, as the viewer asks it."""
    token = id_token(local.env["FIREBASE_AUTH_EMULATOR_HOST"], owner)
    body = {"transcription": tid, "action": "rename", "voice": voice, "speaker": {"name": name}}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(
        local.url(CORRECTIONS_TARGET), json.dumps(body).encode(), headers
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def _enrichment_calls(local: LocalStack, before: int) -> list[dict[str, Any]]:
    calls = standin(local, "calls")["calls"][before:]
    return [c for c in calls if c.get("enrichment") and c["method"] != "countTokens"]


def test_the_interview_comes_out_in_french_with_french_subtitles(local: LocalStack) -> None:
    before = len(standin(local, "calls")["calls"])
    name = upload(SAMPLES / "interview.mp4", "fleur-fr", {"translate": "fr"})
    _wait(name)
    doc = wait_for_enrichments(_ref(name).id)
    french = doc["enrichments"]["translation_fr"]
    assert (french["status"], french["reason"], french["issues"]) == ("completed", None, [])
    rows = len(INTERVIEW["rows"])
    assert french["counts"] == {"rows": rows, "translated": rows, "missing": 0, "extra": 0}
    ref = _ref(name).collection("translations").document("fr")
    pages = [p.to_dict() or {} for p in ref.collection(PAGES).order_by("index").stream()]
    originals = [p.to_dict() or {} for p in _ref(name).collection(PAGES).order_by("index").stream()]
    segments = [s for page in pages for s in page["segments"]]
    assert [s["text"] for s in segments] == INTERVIEW["translations"]["fr"]
    original = [s for page in originals for s in page["segments"]]
    assert [(s["start_ms"], s["voice"]) for s in segments] == [
        (s["start_ms"], s["voice"]) for s in original
    ]
    assert all(page["run"] == doc["run"] for page in pages)

    subtitles = pysubs2.SSAFile.from_string(_export(french["exports"]["vtt"]), format_="vtt")
    names = {s["voice"]: s["name"] for s in doc["speakers"]}
    assert len(subtitles) == rows
    vtt = _export(french["exports"]["vtt"])
    for segment in segments:  # each cue: the speaker's name and the French
        assert f"<v {names[segment['voice']]}>{segment['text']}" in vtt
    assert [event.start for event in subtitles] == [s["start_ms"] for s in segments]
    assert "Marta Silva: " in _export(french["exports"]["srt"])

    marta = next(voice for voice, known in names.items() if known == "Marta Silva")
    _rename(local, "fleur-fr", _ref(name).id, marta, "Marta Silva-Reyes")
    renamed = _export(french["exports"]["vtt"])  # written again under the same name
    assert "<v Marta Silva>" not in renamed and len(pysubs2.SSAFile.from_string(renamed)) == rows
    for segment in segments:
        who = "Marta Silva-Reyes" if segment["voice"] == marta else names[segment["voice"]]
        assert f"<v {who}>{segment['text']}" in renamed
    assert "Marta Silva-Reyes: " in _export(french["exports"]["srt"])

    (call,) = _enrichment_calls(local, before)
    assert call["enrichment"] == {"kind": "translation", "lang": "fr", "rows": rows}
    transcription = doc["usage"]["prompt_tokens"] - french["usage"]["prompt_tokens"]
    assert 0 < french["usage"]["prompt_tokens"] < 0.1 * transcription  # text is cheap
    assert doc["cost"]["total"] > french["cost"]["total"] > 0


def test_the_conference_comes_out_with_its_chapters_and_summary(local: LocalStack) -> None:
    name = upload(SAMPLES / "conference.webm", "chloe-chapters", {"chapters": "true"})
    _wait(name, timeout=300)
    doc = wait_for_enrichments(_ref(name).id)
    assert doc["enrichments"]["chapters"]["status"] == "completed", doc["enrichments"]
    assert doc["chapters"] == [
        {"start_ms": c["start_s"] * 1000, "title": c["title"]} for c in CONFERENCE["chapters"]
    ]
    assert doc["summary"] == CONFERENCE["summary"]
    assert "translation" not in str(doc["asked_enrichments"])


def test_a_new_run_that_asks_for_none_leaves_none_of_the_last(local: LocalStack) -> None:
    name = upload(SAMPLES / "interview.mp4", "fleur-again", {"translate": "fr"})
    _wait(name)
    wait_for_enrichments(_ref(name).id)
    translation = _ref(name).collection("translations").document("fr")
    assert translation.get().exists
    again = put(SAMPLES / "interview.mp4", "fleur-again", {})
    doc = wait_for_terminal(name, local.logs, again.generation)
    assert doc["run"]["generation"] == str(again.generation)
    assert doc["asked_enrichments"] == [] and "enrichments" not in doc
    assert not translation.get().exists
    assert not list(translation.collection(PAGES).stream())


def test_an_unknown_language_is_rejected_before_any_call(local: LocalStack) -> None:
    before = len(standin(local, "calls")["calls"])
    name = upload(SAMPLES / "interview.mp4", "fleur-xx", {"translate": "fr,xx"})
    doc = _wait(name)
    assert doc["status"] == "rejected" and "xx" in doc["reason"], doc["reason"]
    assert standin(local, "calls")["calls"][before:] == []
