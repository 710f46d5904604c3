"""The enrichments a run asked (decision 0026) on the real emulators: the store starts them in
the commit that completes a run with a transcript, and publishes one task each after the
completion event; a failed or empty run starts none. A new run deletes the old translations."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import firestore

from functions.core import tasks
from functions.core.documents import PAGES, TRANSCRIPTIONS, TRANSLATIONS
from functions.core.messages import EnrichTask
from functions.format.tables import render_output
from tests.store.conftest import Stack, transcriber_doc
from tests.store.support import chunks_of, model_output, new_id

pytestmark = pytest.mark.emulator
GENERATION = "1700000000000001"
ASKED = ["chapters", "translation_fr"]


def asked_run(db: firestore.Client, tid: str, attempt: int = 1) -> None:
    """The transcriber's document of a run that asked for the chapters and French."""
    transcriber_doc(db, tid, GENERATION, attempt)
    db.collection(TRANSCRIPTIONS).document(tid).update({"asked_enrichments": ASKED})


def doc_of(stack: Stack, tid: str) -> dict[str, Any]:
    return stack.db.collection(TRANSCRIPTIONS).document(tid).get().to_dict() or {}


def enrich_tasks(stack: Stack) -> list[EnrichTask]:
    messages = stack.pull_tasks()
    assert all(m.attributes["task"] == "enrich" for m in messages)
    found = [EnrichTask.model_validate_json(m.data) for m in messages]
    assert all(m.attributes == t.attributes() for m, t in zip(messages, found, strict=True))
    return sorted(found, key=lambda task: task.enrichment)


def test_a_completed_run_starts_what_it_asked_and_publishes_a_task_each(
    stack: Stack, unique: str
) -> None:
    tid = new_id(unique)
    asked_run(stack.db, tid)
    for chunk in chunks_of(model_output(30), tid, GENERATION, rows=10):
        assert stack.deliver(chunk) == 200
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed" and sorted(doc["enrichments"]) == ASKED
    run = {"generation": GENERATION, "attempt": 1}
    french, chapters = doc["enrichments"]["translation_fr"], doc["enrichments"]["chapters"]
    assert {k: v for k, v in french.items() if k != "asked_at"} == {
        "kind": "translation",
        "lang": "fr",
        "status": "processing",
        "run": run,
    }
    assert (chapters["kind"], chapters["lang"]) == ("chapters", None)
    assert french["asked_at"] is not None
    assert [e.type for e in stack.pull_events()] == ["dev.tabscribe.transcription.completed"]
    published = enrich_tasks(stack)
    assert [t.enrichment for t in published] == ASKED
    assert all(tasks.refusal(task, doc) is None for task in published)  # each one's check passes
    assert published[0].content_type == "video/mp4" and published[0].size == 1234


def test_a_redelivery_before_the_publication_is_recorded_publishes_the_tasks_again(
    stack: Stack, unique: str
) -> None:
    tid = new_id(unique)
    asked_run(stack.db, tid)
    chunks = chunks_of(model_output(12), tid, GENERATION, rows=10)
    for chunk in chunks:
        assert stack.deliver(chunk) == 200
    assert len(enrich_tasks(stack)) == 2
    # as if the instance died after publishing, before it recorded the publication
    ref = stack.db.collection(TRANSCRIPTIONS).document(tid)
    ref.update({"event.published": False})
    assert stack.deliver(chunks[-1], message_id="again") == 200
    assert [t.enrichment for t in enrich_tasks(stack)] == ASKED
    # an enrichment already done is not asked again
    ref.update({"event.published": False, "enrichments.chapters.status": "completed"})
    assert stack.deliver(chunks[-1], message_id="third") == 200
    assert [t.enrichment for t in enrich_tasks(stack)] == ["translation_fr"]


@pytest.mark.parametrize(
    ("text", "outcome", "segments"),
    [
        (model_output(12), "failed", 12),  # a run that did not complete
        (render_output([], [(1, "", "", "", "", 0)]), "completed", 0),  # whole, empty tables
    ],
    ids=["failed", "no segments"],
)
def test_a_failed_or_empty_run_starts_nothing(
    stack: Stack, unique: str, text: str, outcome: str, segments: int
) -> None:
    tid = new_id(unique)
    asked_run(stack.db, tid)
    for chunk in chunks_of(text, tid, GENERATION, rows=10, outcome=outcome):
        assert stack.deliver(chunk) == 200
    doc = doc_of(stack, tid)
    assert doc["status"] == outcome and doc["counts"]["segments"] == segments
    assert "enrichments" not in doc
    stack.pull_events()
    assert stack.pull_tasks() == []


def test_nothing_asked_starts_nothing(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, GENERATION, 1)
    for chunk in chunks_of(model_output(12), tid, GENERATION, rows=10):
        assert stack.deliver(chunk) == 200
    assert doc_of(stack, tid)["status"] == "completed" and "enrichments" not in doc_of(stack, tid)
    assert stack.pull_tasks() == []


def test_a_new_run_deletes_the_earlier_runs_translations(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    asked_run(stack.db, tid)
    for chunk in chunks_of(model_output(12), tid, GENERATION, rows=10):
        assert stack.deliver(chunk) == 200
    ref = stack.db.collection(TRANSCRIPTIONS).document(tid)
    french = ref.collection(TRANSLATIONS).document("fr")
    french.set({"lang": "fr", "run": {"generation": GENERATION, "attempt": 1}, "pages": 1})
    french.collection(PAGES).document("0000").set({"index": 0, "segments": []})
    ref.collection(TRANSLATIONS).document("de").collection(PAGES).document("0000").set({})
    asked_run(stack.db, tid, attempt=2)
    for chunk in chunks_of(model_output(12, seed=2), tid, GENERATION, attempt=2, rows=10):
        assert stack.deliver(chunk) == 200
    assert doc_of(stack, tid)["run"]["attempt"] == 2
    assert list(ref.collection(TRANSLATIONS).list_documents()) == []
    assert list(french.collection(PAGES).list_documents()) == []
