"""`bench/enrich.py`'s arithmetic: the translation's seconds from its server timestamps, and the
enrichments' input share against the transcription's own tokens (the document's usage less the
enrichments', which the room added to it)."""

from __future__ import annotations

import datetime as dt

from bench.enrich import metrics

ASKED = dt.datetime(2026, 12, 7, 12, 0, 0, tzinfo=dt.UTC)


def test_the_translation_is_timed_and_the_enrichments_share_is_of_the_transcription() -> None:
    doc = {
        "usage": {"prompt_tokens": 100_000 + 4_000 + 5_000},
        "enrichments": {
            "translation_fr": {
                "asked_at": ASKED,
                "finished_at": ASKED + dt.timedelta(seconds=31.5),
                "requests": 1,
                "usage": {"prompt_tokens": 4_000},
            },
            "chapters": {"usage": {"prompt_tokens": 5_000}},
        },
    }
    found = {m.key: m for m in metrics(doc)}
    assert found["enrich.translation_s"].value == 31.5
    assert found["enrich.input_share"].value == 0.09
    assert found["enrich.input_share"].verdict == "met"
