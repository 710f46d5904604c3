"""An enrichment's task is checked against its transcription's document (decisions 0021, 0026):
the run and the object, a completed transcription, the enrichment asked and still processing."""

from __future__ import annotations

from typing import Any

import pytest

from functions.core.messages import EnrichTask
from functions.core.tasks import refusal

RUN = {"generation": "17", "attempt": 2}
SOURCE = {"bucket": "b", "name": "uploads/u/talk.mp4", "generation": "17", "content_type": None}
TASK = EnrichTask(
    transcription_id="0" * 32,
    bucket="b",
    name="uploads/u/talk.mp4",
    generation="17",
    attempt=2,
    enrichment="translation_fr",
)


def document(**changes: Any) -> dict[str, Any]:
    asked = {"kind": "translation", "lang": "fr", "status": "processing", "run": RUN}
    doc = {
        "run": RUN,
        "source": SOURCE,
        "status": "completed",
        "enrichments": {"translation_fr": asked},
    }
    return doc | changes


def test_a_task_the_store_asked_for_is_accepted() -> None:
    assert refusal(TASK, document()) is None


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (document(run={"generation": "17", "attempt": 3}), "not the transcription's run"),
        (document(source={**SOURCE, "name": "other.mp4"}), "not the transcription's object"),
        (document(status="processing"), "the transcription is processing, not completed"),
        (document(enrichments={}), "translation_fr: not an enrichment the run asked for"),
        (
            document(
                enrichments={
                    "translation_fr": {"status": "processing", "run": {**RUN, "attempt": 1}}
                }
            ),
            "not an enrichment the run asked for",
        ),
        (
            document(enrichments={"translation_fr": {"status": "completed", "run": RUN}}),
            "translation_fr: already completed",
        ),
        ({}, "no such transcription"),
    ],
)
def test_anything_else_is_refused_with_the_reason(doc: dict[str, Any], why: str) -> None:
    assert why in (refusal(TASK, doc) or "")
