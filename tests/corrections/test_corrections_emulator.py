"""The owner's corrections through functions-framework, on a transcription the store completed:
the document, its pages, the history, the exports and the `updated` event follow; anything else
is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import pysubs2
import pytest

from functions.core.documents import TRANSCRIPTIONS
from functions.format.tables import render_output
from tests.corrections.conftest import ORIGIN, OWNER, Corrections

pytestmark = pytest.mark.emulator


def speaker(doc: dict[str, Any], voice: int) -> dict[str, Any]:
    return next(s for s in doc["speakers"] if s["voice"] == voice)


def test_a_rename_follows_in_the_table_the_exports_the_history_and_an_event(
    corrections: Corrections, unique: str
) -> None:
    tid = corrections.finished(unique)
    ask = {
        "transcription": tid,
        "action": "rename",
        "voice": 2,
        "speaker": {"name": "Ada Lovelace", "company": "Analytical Engines"},
    }
    response = corrections.ask(ask)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.get_json()["correction"]["seq"] == 1

    doc = corrections.doc(tid)
    renamed = speaker(doc, 2)
    assert (renamed["name"], renamed["company"], renamed["position"]) == (
        "Ada Lovelace",
        "Analytical Engines",
        "Engineer",
    )
    assert renamed["edited"] and not speaker(doc, 1)["edited"]
    assert renamed["segments"] == 10 and doc["corrections"]["seq"] == 1

    [entry] = corrections.history(tid)
    assert (entry["action"], entry["by"], entry["voice"]) == ("rename", OWNER, 2)
    assert entry["before"] == {"name": "Person 2", "company": "Company 2"}
    assert entry["after"] == {"name": "Ada Lovelace", "company": "Analytical Engines"}
    assert entry["at"] and entry["run"] == doc["run"]

    # pysubs2 drops cue voices unless told to keep the tags
    vtt = pysubs2.SSAFile.from_string(
        corrections.export(tid, "vtt"), format_="vtt", keep_html_tags=True
    )
    names = {line.text.partition(">")[0].removeprefix("<v ") for line in vtt}
    assert names == {"Person 1", "Ada Lovelace", "Person 3"} and len(vtt) == 30
    assert "Ada Lovelace: " in corrections.export(tid, "srt")
    assert '"speaker": "Ada Lovelace"' in corrections.export(tid, "json")

    [event] = corrections.pull_events()
    assert event.type == "dev.tabscribe.transcription.updated"
    assert event.id.endswith("-c1") and event.data.correction is not None
    assert (event.data.correction.action, event.data.correction.by) == ("rename", OWNER)
    assert any(s.name == "Ada Lovelace" for s in event.data.speakers)


def test_a_merge_moves_the_segments_recounts_and_undo_restores_them(
    corrections: Corrections, unique: str
) -> None:
    tid = corrections.finished(unique)
    before_doc, before_segments = corrections.doc(tid), corrections.segments(tid)
    response = corrections.ask({"transcription": tid, "action": "merge", "voice": 3, "into": 1})
    assert response.status_code == 200, response.get_json()

    doc, segments = corrections.doc(tid), corrections.segments(tid)
    assert 3 not in {s["voice"] for s in doc["speakers"]}
    assert {s["voice"] for s in segments} == {1, 2}
    merged, was = speaker(doc, 1), (speaker(before_doc, 1), speaker(before_doc, 3))
    assert merged["segments"] == was[0]["segments"] + was[1]["segments"]
    assert merged["talk_ms"] == was[0]["talk_ms"] + was[1]["talk_ms"]
    assert merged["edited"] and doc["counts"]["speakers"] == 2
    assert "Person 3" not in corrections.export(tid, "vtt")
    assert corrections.pull_events()[0].data.correction.action == "merge"  # type: ignore[union-attr]

    undo = corrections.ask({"transcription": tid, "action": "undo"})
    assert undo.status_code == 200, undo.get_json()
    assert undo.get_json()["correction"]["undoes"] == 1
    doc = corrections.doc(tid)
    assert corrections.segments(tid) == before_segments
    assert [(s["voice"], s["name"], s["segments"], s["talk_ms"]) for s in doc["speakers"]] == [
        (s["voice"], s["name"], s["segments"], s["talk_ms"]) for s in before_doc["speakers"]
    ]
    assert not any(s["edited"] for s in doc["speakers"])
    assert [e.get("undone_by") for e in corrections.history(tid)] == [2, None]
    assert "<v Person 3>" in corrections.export(tid, "vtt")
    assert corrections.pull_events()[0].data.correction.action == "undo"  # type: ignore[union-attr]
    again = corrections.ask({"transcription": tid, "action": "undo"})
    assert again.status_code == 400 and "no correction" in again.get_json()["error"]


def test_an_undo_a_later_correction_stands_in_the_way_of_is_409(
    corrections: Corrections, unique: str
) -> None:
    tid = corrections.finished(unique)
    first = {"transcription": tid, "action": "rename", "voice": 1, "speaker": {"name": "A"}}
    assert corrections.ask(first).status_code == 200
    assert corrections.ask({**first, "speaker": {"name": "B"}}).status_code == 200
    response = corrections.ask({"transcription": tid, "action": "undo", "correction": 1})
    assert response.status_code == 409 and "undo it first" in response.get_json()["error"]
    assert corrections.ask({"transcription": tid, "action": "undo"}).status_code == 200
    assert corrections.ask({"transcription": tid, "action": "undo"}).status_code == 200
    assert speaker(corrections.doc(tid), 1)["name"] == "Person 1"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"voice": 9}, "not in this transcription"),
        ({"speaker": {"name": "x" * 301}}, "longer than"),
        ({"speaker": {"name": "Ada\nLovelace"}}, "control characters"),
        ({"speaker": {"name": "Ada\u202eLovelace"}}, "control characters"),
        ({"speaker": {"owner": "bob"}}, "may only carry"),
        ({"speaker": {"name": 3}}, "string or null"),
        ({"action": "merge", "into": 2}, "into itself"),
        ({"action": "merge", "into": 77}, "not in this transcription"),
        ({"action": "undo", "correction": 5}, "not in this transcription's history"),
        ({"action": "delete"}, "`action`"),
        ({"voice": "2"}, "voice number"),
    ],
)
def test_a_bad_correction_is_400_and_changes_nothing(
    corrections: Corrections, unique: str, change: dict[str, Any], words: str
) -> None:
    tid = corrections.finished(unique)
    before = corrections.doc(tid)
    base = {"transcription": tid, "action": "rename", "voice": 2, "speaker": {"name": "Ada"}}
    response = corrections.ask({**base, **change})
    assert response.status_code == 400, response.get_json()
    assert words in response.get_json()["error"]
    assert corrections.doc(tid) == before and corrections.history(tid) == []
    assert corrections.pull_events() == []


def test_another_user_is_403_and_changes_nothing(corrections: Corrections, unique: str) -> None:
    tid = corrections.finished(unique)
    before = corrections.doc(tid)
    for body in (
        {"transcription": tid, "action": "rename", "voice": 1, "speaker": {"name": "Mallory"}},
        {"transcription": tid, "action": "undo"},
        {"transcription": "0" * 32, "action": "undo"},
    ):
        response = corrections.ask(body, uid="user-2")
        assert response.status_code == 403 and response.get_json()["error"]
    assert corrections.ask({"transcription": tid, "action": "undo"}, uid=None).status_code == 401
    assert corrections.doc(tid) == before and corrections.history(tid) == []


def test_a_run_still_processing_is_409(corrections: Corrections, unique: str) -> None:
    tid = corrections.finished(unique)
    ref = corrections.db.collection(TRANSCRIPTIONS).document(tid)
    ref.update({"status": "processing", "run": {"generation": "1700000000000002", "attempt": 1}})
    before = corrections.doc(tid)
    body = {"transcription": tid, "action": "rename", "voice": 1, "speaker": {"name": "Ada"}}
    response = corrections.ask(body)
    assert response.status_code == 409 and "processing" in response.get_json()["error"]
    assert corrections.doc(tid) == before and corrections.history(tid) == []


def test_methods_and_cors(corrections: Corrections) -> None:
    assert corrections.ask(None, method="GET").status_code == 405
    preflight = corrections.app.options("/", headers={"Origin": ORIGIN})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_new_generation_takes_the_corrections_its_voices_still_match(
    corrections: Corrections, unique: str
) -> None:
    tid = corrections.finished(unique, voices=4)  # Person v, evidence at 4 s times v
    for body in (
        {"action": "rename", "voice": 2, "speaker": {"name": "Ada Lovelace"}},
        {"action": "rename", "voice": 2, "speaker": {"role": "Host"}},
        {"action": "merge", "voice": 3, "into": 1},
        {"action": "rename", "voice": 4, "speaker": {"name": "Zed"}},
    ):
        assert corrections.ask({"transcription": tid, **body}).status_code == 200
    corrections.pull_events()

    # uploaded again: the model numbers the voices otherwise, misses a name, drops Person 4
    rows = [(i * 4000, 1 + i % 3, f"again {i}") for i in range(30)]
    speakers = [
        (1, "person 2", None, None, None, 30_000),  # by name (as the model first named it)
        (2, None, None, None, None, 12_400),  # by evidence: old voice 3's, within a second
        (3, "Person 1", None, None, None, 4_000),
    ]
    corrections.run(tid, "1700000000000002", render_output(rows, speakers))
    [completed] = corrections.pull_raw()
    assert corrections.carry(completed) == 200

    doc = corrections.doc(tid)
    assert [(s["voice"], s["name"], s["role"], s["edited"]) for s in doc["speakers"]] == [
        (1, "Ada Lovelace", "Host", True),
        (3, "Person 1", None, True),  # voice 2 merged into it
    ]
    assert {s["voice"] for s in corrections.segments(tid)} == {1, 3}
    [dropped] = doc["corrections"]["dropped"]
    assert (dropped["seq"], dropped["voice"]) == (4, 4) and "no voice" in dropped["reason"]
    carried = [e for e in corrections.history(tid) if e["run"] == doc["run"]]
    assert [(e["action"], e["carried_from"]) for e in carried] == [
        ("rename", 1),
        ("rename", 2),
        ("merge", 3),
    ]
    assert "<v Ada Lovelace>" in corrections.export(tid, "vtt")
    [updated] = corrections.pull_events()
    assert updated.type == "dev.tabscribe.transcription.updated"

    assert corrections.carry(completed) == 200  # a redelivery carries nothing again
    assert len(corrections.history(tid)) == 7 and corrections.pull_events() == []
