"""The enrichment room on a transcription the store completed, against the emulators and the
Gemini stand-in: what it asks, what it records page by page, the usage and cost it adds, how it
fails without touching the transcription, and that a duplicate delivery calls no model."""

from __future__ import annotations

import pytest

from functions.core.settings import get_settings
from functions.enrich import handler, record
from functions.transcribe import gemini
from tests.enrich.conftest import SUMMARY, Room

pytestmark = pytest.mark.emulator


def test_a_translation_is_recorded_page_by_page(room: Room) -> None:
    tid = room.completed(segments=250)
    assert room.steps(room.task(tid)) == handler.Outcome.COMPLETED

    calls = room.model_calls()
    assert len(calls) == 3  # 250 rows in parts of at most 100, in parallel
    assert all(call["media"] == [] and call["status"] == 200 for call in calls)
    originals = room.pages(room.ref(tid))
    pages = room.pages(room.translation(tid))
    assert [p["id"] for p in pages] == [p["id"] for p in originals] == ["0000", "0001"]
    for page, original in zip(pages, originals, strict=True):
        assert page["run"] == original["run"] and page["owner"] == original["owner"]
        assert (page["lang"], page["count"]) == ("fr", original["count"])
        assert page["first_start_ms"] == original["first_start_ms"]
        assert page["segments"] == [{**s, "text": f"FR:{s['text']}"} for s in original["segments"]]
    translation = room.translation(tid).get().to_dict() or {}
    assert translation == {
        "lang": "fr",
        "owner": "user-1",
        "run": {"generation": "1700000000000001", "attempt": 1},
        "pages": 2,
        "segments": 250,
    }
    entry = room.doc(tid)["enrichments"]["translation_fr"]
    assert (entry["status"], entry["reason"], entry["issues"]) == ("completed", None, [])
    assert entry["counts"] == {"rows": 250, "translated": 250, "missing": 0, "extra": 0}
    assert entry["requests"] == 3
    vtt = room.export(tid, "transcript.fr.vtt")
    assert "<v Person 1>FR:" in vtt and entry["exports"]["vtt"].endswith("/transcript.fr.vtt")
    assert "Person 2: FR:" in room.export(tid, "transcript.fr.srt")
    (event,) = room.enriched()
    assert event.id == f"{tid}-1700000000000001-1-translation_fr"
    assert (event.data.status, event.data.lang, event.data.exports) == (
        "completed",
        "fr",
        entry["exports"],
    )


def test_a_missing_row_is_an_issue_and_the_others_stay_aligned(room: Room) -> None:
    tid = room.completed(segments=30)
    originals = room.pages(room.ref(tid))[0]["segments"]
    room.stand_in.configure(translation_fault="missing_row")  # drops the middle row, 15
    assert room.steps(room.task(tid)) == handler.Outcome.COMPLETED

    segments = room.pages(room.translation(tid))[0]["segments"]
    assert segments[15]["text"] is None
    assert [s["text"] for i, s in enumerate(segments) if i != 15] == [
        f"FR:{s['text']}" for i, s in enumerate(originals) if i != 15
    ]
    entry = room.doc(tid)["enrichments"]["translation_fr"]
    assert entry["counts"] == {"rows": 30, "translated": 29, "missing": 1, "extra": 0}
    assert [i["code"] for i in entry["issues"]] == ["missing_translation"]
    assert entry["reason"] == "1 of 30 rows not translated"
    assert originals[15]["text"] in room.export(tid, "transcript.fr.vtt")  # the cue keeps it


def test_a_row_not_asked_is_dropped_as_an_issue(room: Room) -> None:
    tid = room.completed(segments=30)
    room.stand_in.configure(translation_fault="extra_row")  # row 30 added
    assert room.steps(room.task(tid)) == handler.Outcome.COMPLETED
    entry = room.doc(tid)["enrichments"]["translation_fr"]
    assert entry["counts"] == {"rows": 30, "translated": 30, "missing": 0, "extra": 1}
    assert [(i["code"], i["message"]) for i in entry["issues"]] == [
        ("extra_translation", "row 30 dropped: not asked")
    ]
    assert entry["reason"] is None
    assert room.pages(room.translation(tid))[0]["count"] == 30


def test_chapters_and_summary_are_recorded_with_their_usage_and_cost(room: Room) -> None:
    tid = room.completed(segments=30, asked=("chapters",))
    before = room.doc(tid)
    assert room.steps(room.task(tid, "chapters")) == handler.Outcome.COMPLETED

    (call,) = room.model_calls()
    assert call["enrichment"] == {"kind": "chapters", "lang": None, "rows": 30}
    doc = room.doc(tid)
    assert doc["chapters"] == [
        {"start_ms": 0, "title": "Opening"},
        {"start_ms": 40_000, "title": "The problem"},
    ]
    assert doc["summary"] == SUMMARY
    entry = doc["enrichments"]["chapters"]
    assert entry["status"] == "completed" and [i["code"] for i in entry["issues"]] == [
        "chapter_dropped"
    ]
    usage = entry["usage"]
    assert usage["prompt_tokens"] > 0 and usage["prompt_by_modality"] == {
        "TEXT": usage["prompt_tokens"]
    }
    assert (
        doc["usage"]["prompt_tokens"] == before["usage"]["prompt_tokens"] + usage["prompt_tokens"]
    )
    assert entry["cost"]["total"] > 0
    assert doc["cost"]["total"] == pytest.approx(before["cost"]["total"] + entry["cost"]["total"])
    assert doc["status"] == "completed" and doc["speakers"] == before["speakers"]
    (event,) = room.enriched()
    assert (event.data.kind, event.data.lang, event.data.exports) == ("chapters", None, {})


def test_a_failed_request_fails_only_the_enrichment(room: Room) -> None:
    tid = room.completed(segments=30)
    before = room.doc(tid)
    room.stand_in.configure(faults={"status": 400, "times": 1})
    assert room.steps(room.task(tid)) == handler.Outcome.FAILED

    doc = room.doc(tid)
    entry = doc["enrichments"]["translation_fr"]
    assert entry["status"] == "failed" and "400" in entry["reason"]
    assert not room.translation(tid).get().exists
    assert {k: v for k, v in doc.items() if k not in ("enrichments", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("enrichments", "updated_at")
    }
    (event,) = room.enriched()
    assert (event.data.status, event.data.reason) == ("failed", entry["reason"])


def test_a_request_the_limits_refuse_is_not_sent(room: Room) -> None:
    tid = room.completed(segments=30)
    room.ref(tid).update({"model": "gemini-2.5-flash"})  # shut down, per the catalog
    assert room.steps(room.task(tid)) == handler.Outcome.FAILED
    assert room.model_calls() == []
    reason = room.doc(tid)["enrichments"]["translation_fr"]["reason"]
    assert reason.startswith("request not sent") and "gemini-2.5-flash" in reason


def test_a_duplicate_delivery_calls_the_model_once(room: Room) -> None:
    tid = room.completed(segments=30)
    task = room.task(tid)
    assert room.steps(task, "m1") == handler.Outcome.COMPLETED
    assert room.steps(task, "m1") == handler.Outcome.SKIPPED
    assert room.steps(task, "m2") == handler.Outcome.SKIPPED
    assert len(room.model_calls()) == 1
    assert len(room.enriched()) == 1


def test_an_event_a_crash_kept_from_going_out_goes_out_with_the_redelivery(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery dies between its commit and its event: the enrichment is recorded, its
    event not; the redelivered task publishes the event, calling no model, and only once."""
    tid = room.completed(segments=30)
    task = room.task(tid)
    published = record.publish

    def dies(event: object) -> None:
        monkeypatch.setattr(record, "publish", published)  # the next delivery's process
        raise RuntimeError("the process died before its event")

    monkeypatch.setattr(record, "publish", dies)
    with pytest.raises(RuntimeError, match="died"):
        handler.handle_enrichment("m1", task, room.settings)
    french = room.doc(tid)["enrichments"]["translation_fr"]
    assert (french["status"], french["published"]) == ("completed", False)
    assert room.enriched() == []

    assert handler.handle_enrichment("m1", task, room.settings) == handler.Outcome.ANNOUNCED
    [event] = room.enriched()
    assert (event.data.enrichment, event.data.status) == ("translation_fr", "completed")
    assert event.data.exports == french["exports"] and event.time == french["finished_at"]
    assert room.doc(tid)["enrichments"]["translation_fr"]["published"] is True
    assert handler.handle_enrichment("m2", task, room.settings) == handler.Outcome.SKIPPED
    assert room.enriched() == [] and len(room.model_calls()) == 1


def test_the_handler_checks_the_task_then_claims_and_records(room: Room) -> None:
    tid = room.completed(segments=30)
    stale = room.task(tid, attempt=2)
    assert handler.handle_enrichment("m1", stale, room.settings) == handler.Outcome.REFUSED
    assert room.steps(stale) == handler.Outcome.SKIPPED  # its claim: not the document's run
    assert room.model_calls() == []
    assert room.doc(tid)["enrichments"]["translation_fr"]["status"] == "processing"

    task = room.task(tid)
    assert handler.handle_enrichment("m1", task, room.settings) == handler.Outcome.COMPLETED
    assert handler.handle_enrichment("m2", task, room.settings) == handler.Outcome.SKIPPED
    assert len(room.model_calls()) == 1
    assert room.doc(tid)["enrichments"]["translation_fr"]["status"] == "completed"


def test_a_transient_failure_is_retried_within_the_budget(room: Room) -> None:
    tid = room.completed(segments=30)
    room.stand_in.configure(faults={"status": 503, "times": 1})
    assert room.steps(room.task(tid)) == handler.Outcome.COMPLETED
    assert [call["status"] for call in room.model_calls()] == [503, 200]
    entry = room.doc(tid)["enrichments"]["translation_fr"]
    assert entry["status"] == "completed" and entry["requests"] == 1


def test_past_the_budget_the_lease_goes_back_for_a_platform_retry(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = room.completed(segments=30)
    monkeypatch.setenv("TABSCRIBE_TIME_BUDGET_S", "5")  # less than a retry needs
    get_settings.cache_clear()
    room.stand_in.configure(faults={"status": 503, "times": 1})
    with pytest.raises(gemini.TransientError):
        room.steps(room.task(tid), "m1")
    lease = room.ref(tid).collection("enrichments").document("1700000000000001-1-translation_fr")
    assert "503" in (lease.get().to_dict() or {})["last_error"]
    assert room.doc(tid)["enrichments"]["translation_fr"]["status"] == "processing"

    assert room.steps(room.task(tid), "m1") == handler.Outcome.COMPLETED  # the redelivery
    assert [call["status"] for call in room.model_calls()] == [503, 200]
