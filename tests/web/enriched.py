"""Enriched transcriptions for the viewer's tests (decisions 0026, 0030), made by the whole local
stack: a sample uploaded asking for French and Spanish translations (and the chapters with the
summary, where the stand-in has them), with the stand-in's `missing_row` translation fault on,
followed until every enrichment ended. The stand-in has authored French and no Spanish, so the
French completes with a row of each of its requests untranslated (the middle one, as the fault
drops it) and the Spanish fails with the stand-in's refusal as its reason. A German translation
still in flight is the one state written here (`add_in_flight`): holding a real request open would
hold the stack the other tests share.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from functions.core.settings import Settings
from stack.follow import wait_for_enrichments
from tests.paths import ROOT


def authored(sample: str) -> dict[str, Any]:
    """The stand-in's authored answers for `sample` (docs/samples.md)."""
    answer: dict[str, Any] = json.loads(
        (ROOT / "standin" / "responses" / f"{sample}.json").read_text()
    )
    return answer


def untranslated(sample: str) -> list[int]:
    """The rows the stand-in's `missing_row` fault leaves out: the middle one of each request's
    part (consecutive rows, `TABSCRIBE_ENRICH_PART_ROWS` at most, the stack's default: decision
    0028)."""
    rows, size = len(authored(sample)["rows"]), Settings.model_fields["enrich_part_rows"].default
    return [start + (min(start + size, rows) - start) // 2 for start in range(0, rows, size)]


def french(sample: str) -> list[str | None]:
    """The French of each authored row, in order; None for the rows left untranslated."""
    rows, missing = authored(sample)["translations"]["fr"], untranslated(sample)
    return [None if i in missing else text for i, text in enumerate(rows)]


def asks(sample: str) -> dict[str, str]:
    """The upload metadata that asks for the sample's enrichments."""
    chapters = {"chapters": "true"} if authored(sample).get("chapters") else {}
    translate = {"translate": "fr,es"} if authored(sample).get("translations") else {}
    return {**translate, **chapters}


def enrich(tid: str, sample: str, control: Callable[[str, Any], Any]) -> dict[str, Any]:
    """Follow `tid`, the sample's transcription the stack is making with `asks(sample)` while
    the stand-in drops a row of each translation (`control`: the stand-in's control API), until
    its enrichments ended; check they ended as the stand-in answers; the document."""
    doc = wait_for_enrichments(tid)
    control("config", {"translation_fault": None})
    enrichments = doc["enrichments"]
    assert sorted(enrichments) == doc["asked_enrichments"], enrichments
    if "translation_fr" in enrichments:
        french = enrichments["translation_fr"]
        assert french["status"] == "completed", french
        missing = [i["message"] for i in french["issues"] if i["code"] == "missing_translation"]
        assert missing == [
            f"row {row} is not translated; kept untranslated" for row in untranslated(sample)
        ], french["issues"]
        assert enrichments["translation_es"]["status"] == "failed"
    if "chapters" in enrichments:
        assert enrichments["chapters"]["status"] == "completed", enrichments["chapters"]
    return doc


def add_in_flight(tid: str, lang: str = "de") -> None:
    """A translation into `lang` asked and not yet answered, as the store records it when the
    transcript completes (`status: processing`)."""
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    doc = ref.get().to_dict() or {}
    name = f"translation_{lang}"
    entry = {
        "kind": "translation",
        "lang": lang,
        "status": "processing",
        "run": doc["run"],
        "asked_at": dt.datetime.now(dt.UTC),
    }
    ref.update(
        {
            f"enrichments.{name}": entry,
            "asked_enrichments": sorted({*doc["asked_enrichments"], name}),
        }
    )
