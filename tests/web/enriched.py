"""Enrichments written as the enrichment room records them (decision 0026; docs/firestore.md),
on top of a transcription the whole local stack produced: the viewer's tests need translations,
chapters and a summary before the stack's own enrichment tasks make them.

`enrich_as_the_room_would` is the one place that writes them, from the stand-in's authored
answers (`translations.fr`, `chapters`, `summary` of standin/responses/<sample>.json, what the
stand-in answers the room's requests with). Once the stack enriches uploads itself, the tests
upload with `translate=fr` and `chapters=true` and wait for the enrichments instead; the German
translation still processing and the Spanish one failed stay written here (or come from a held
and a refused request).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from google.cloud import firestore

from functions.core import clients
from functions.core.documents import PAGES, TRANSCRIPTIONS
from functions.store.exports import cues, to_srt, to_vtt, with_events
from functions.store.finish import EXPORTS
from tests.paths import ROOT

TRANSLATIONS = "translations"
EXPORTS_WAIT_S = 30
# Left out of the French, as a model answer missing a row leaves it (`text: null`, an issue).
UNTRANSLATED_ROW = 6
FAILED_REASON = "the model's answer had no <TRANSLATION> table"


def authored(sample: str) -> dict[str, Any]:
    """The stand-in's authored answers for `sample` (docs/samples.md)."""
    answer: dict[str, Any] = json.loads(
        (ROOT / "standin" / "responses" / f"{sample}.json").read_text()
    )
    return answer


def french(sample: str) -> list[str | None]:
    """The French of each authored row, in order; None for the row left untranslated."""
    rows = authored(sample)["translations"]["fr"]
    return [None if i == UNTRANSLATED_ROW else text for i, text in enumerate(rows)]


def chapters(sample: str) -> list[dict[str, Any]]:
    """The authored chapters as the document stores them."""
    return [
        {"start_ms": c["start_s"] * 1000, "title": c["title"]}
        for c in authored(sample).get("chapters", [])
    ]


def enrich_as_the_room_would(tid: str, sample: str) -> dict[str, Any]:
    """Record on `tid`, the completed transcription of `sample`, what the enrichment room records:
    the French translation (its pages, its WebVTT and SRT), the chapters and the summary where
    the stand-in has them, a German translation still processing and a Spanish one failed. The
    document as it then is."""
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    doc = _with_exports(ref)
    run = doc["run"]
    pages = list(
        ref.collection(PAGES)
        .where(filter=firestore.FieldFilter("run.generation", "==", run["generation"]))
        .where(filter=firestore.FieldFilter("run.attempt", "==", run["attempt"]))
        .order_by("__name__")
        .stream()
    )
    rows = [s for page in pages for s in (page.to_dict() or {})["segments"]]
    texts = french(sample)
    assert len(rows) == len(texts), f"{len(rows)} rows, {len(texts)} authored"
    _write_translation(ref.collection(TRANSLATIONS).document("fr"), doc, pages, texts)

    now = dt.datetime.now(dt.UTC)
    asked = {"run": run, "asked_at": now}
    finished = {**asked, "finished_at": now, "model": doc.get("model"), "requests": 1}
    missing = [i for i, text in enumerate(texts) if text is None]
    enrichments = {
        "translation_fr": {
            **_completed("translation", "fr", finished),
            "counts": {
                "rows": len(rows),
                "translated": len(rows) - len(missing),
                "missing": len(missing),
                "extra": 0,
            },
            "issues": [
                {"code": "missing_translation", "message": f"row {i}", "line": None}
                for i in missing[:50]
            ],
            "exports": _french_subtitles(doc, rows, texts),
        },
        "translation_de": {"kind": "translation", "lang": "de", "status": "processing", **asked},
        "translation_es": {
            **_completed("translation", "es", finished),
            "status": "failed",
            "reason": FAILED_REASON,
        },
    }
    fields: dict[str, Any] = {}
    if chapters(sample):
        enrichments["chapters"] = _completed("chapters", None, finished)
        fields = {"chapters": chapters(sample), "summary": authored(sample)["summary"]}
    ref.update({"asked_enrichments": sorted(enrichments), "enrichments": enrichments, **fields})
    return ref.get().to_dict() or {}


def _write_translation(
    translation: Any, doc: dict[str, Any], pages: list[Any], texts: list[str | None]
) -> None:
    """`translations/fr` and its pages: the transcript's page ids, boundaries and fields, each
    segment's text translated (or null)."""
    position = 0
    for snapshot in pages:
        page = snapshot.to_dict() or {}
        segments = []
        for segment in page["segments"]:
            segments.append({**segment, "text": texts[position]})
            position += 1
        keys = ("index", "owner", "run", "count", "first_start_ms", "last_start_ms")
        fields = {key: page.get(key) for key in keys}
        translation.collection(PAGES).document(snapshot.id).set(
            {**fields, "lang": "fr", "segments": segments}
        )
    owner, run = doc["owner"], doc["run"]
    translation.set(
        {"lang": "fr", "owner": owner, "run": run, "pages": len(pages), "segments": len(texts)}
    )


def _with_exports(ref: Any) -> dict[str, Any]:
    """The completed document once the store recorded its exports (after the final commit)."""
    deadline = time.monotonic() + EXPORTS_WAIT_S
    while not (doc := ref.get().to_dict() or {}).get("exports"):
        assert time.monotonic() < deadline, f"no exports in {EXPORTS_WAIT_S} s: {doc.get('status')}"
        time.sleep(0.1)
    assert doc.get("status") == "completed", doc.get("status")
    return doc


def _completed(kind: str, lang: str | None, finished: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "lang": lang, "status": "completed", "reason": None, **finished}


def _french_subtitles(
    doc: dict[str, Any], rows: list[dict[str, Any]], texts: list[str | None]
) -> dict[str, str]:
    """`transcript.fr.vtt` and `.srt` beside the transcript's exports, as the transcript's are
    made (speakers' names, sound events); an untranslated row keeps its original text."""
    shown = [{**row, "text": text or row["text"]} for row, text in zip(rows, texts, strict=True)]
    items = with_events(
        cues(shown, doc.get("speakers") or [], doc.get("duration_ms")), doc.get("events")
    )
    uris = {}
    for kind, body in {"vtt": to_vtt(items), "srt": to_srt(items)}.items():
        bucket, name = doc["exports"][kind].removeprefix("gs://").split("/", 1)
        path = name.replace(f"transcript.{kind}", f"transcript.fr.{kind}")
        blob = clients.storage_client().bucket(bucket).blob(path)
        blob.upload_from_string(body, content_type=EXPORTS[kind][1])
        uris[kind] = f"gs://{bucket}/{path}"
    return uris
