"""Enrichments written as the enrichment room records them (decision 0026; docs/firestore.md),
on top of a transcription the whole local stack produced: the viewer's tests need translations,
chapters and a summary before the stack's own enrichment tasks make them.

`enrich_as_the_room_would` is the one place that writes them. Once the stack enriches uploads
itself (`translate=fr,de,es`, `chapters=true`), the tests upload with that metadata and wait for
the enrichments instead, and this module goes.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from google.cloud import firestore

from functions.core import clients
from functions.core.documents import PAGES, TRANSCRIPTIONS
from functions.store.exports import cues, to_srt, to_vtt
from functions.store.finish import EXPORTS

TRANSLATIONS = "translations"
# The interview's authored rows (standin/responses/interview.json) in French; one row is left
# out, as a model answer missing a row leaves it untranslated (`text: null`).
FRENCH = {
    "Welcome to City Notes. Today we are on a roof in the middle of town.": (
        "Bienvenue dans City Notes. Aujourd'hui, nous sommes sur un toit au centre-ville."
    ),
    "My guest keeps forty thousand bees up here.": "Mon invitée élève quarante mille abeilles ici.",
    "Thanks, Daniel. Forty thousand on a quiet day, anyway.": (
        "Merci, Daniel. Quarante mille les jours calmes, en tout cas."
    ),
    "Why put beehives on top of an office building?": (
        "Pourquoi installer des ruches sur un immeuble de bureaux ?"
    ),
    "Because the city is full of flowers. Parks, balconies, street trees.": (
        "Parce que la ville est pleine de fleurs. Parcs, balcons, arbres des rues."
    ),
    "Bees fly three kilometres for food, so a roof is a perfect base.": (
        "Les abeilles volent trois kilomètres pour se nourrir : un toit est une base parfaite."
    ),
    "At first, yes. Now they queue up for the honey every autumn.": (
        "Au début, oui. Maintenant, ils font la queue pour le miel chaque automne."
    ),
    "How much honey does one roof produce?": "Combien de miel produit un toit ?",
    "About sixty kilos in a good year. Every jar tastes a little different.": (
        "Environ soixante kilos les bonnes années. Chaque pot a un goût un peu différent."
    ),
    "And what should a listener do if they want to start?": (
        "Et que doit faire un auditeur qui veut se lancer ?"
    ),
    "Take a course, find a mentor, and plant something that flowers.": (
        "Suivre un cours, trouver un mentor, et planter quelque chose qui fleurit."
    ),
    "Marta Silva, thank you for showing us around.": (
        "Marta Silva, merci de nous avoir fait visiter."
    ),
    "My pleasure. Mind the bees on your way out.": (
        "Avec plaisir. Attention aux abeilles en sortant."
    ),
}
UNTRANSLATED = "Do the people working downstairs ever complain?"
CHAPTERS = [
    {"start_ms": 0, "title": "A rooftop apiary in town"},
    {"start_ms": 12_000, "title": "Why bees belong in the city"},
    {"start_ms": 32_000, "title": "Honey, and how to begin"},
]
SUMMARY = (
    "Daniel Price of City Notes visits Marta Silva, founder of the Rooftop Hives Cooperative, "
    "who keeps forty thousand bees on an office roof. She explains why the city's flowers suit "
    "bees, how the people downstairs came round, how much honey a roof gives, and how a "
    "listener can start."
)
EXPORTS_WAIT_S = 30
FAILED_REASON = "the model's answer had no <TRANSLATION> table"


def enrich_as_the_room_would(tid: str) -> dict[str, Any]:
    """Record on the completed transcription `tid` what the enrichment room records: a French
    translation (its pages, its WebVTT and SRT), a German one still processing, a Spanish one
    failed, the chapters and the summary. The document as it then is."""
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
    french = ref.collection(TRANSLATIONS).document("fr")
    rows: list[dict[str, Any]] = []
    for snapshot in pages:  # the same ids, boundaries and fields, each text translated
        page = snapshot.to_dict() or {}
        segments = [{**s, "text": FRENCH.get(s["text"])} for s in page["segments"]]
        french.collection(PAGES).document(snapshot.id).set(
            {**_page_fields(page), "lang": "fr", "segments": segments}
        )
        rows += page["segments"]
    missing = [i for i, row in enumerate(rows) if row["text"] not in FRENCH]
    french.set(
        {
            "lang": "fr",
            "owner": doc["owner"],
            "run": run,
            "pages": len(pages),
            "segments": len(rows),
        }
    )
    now = dt.datetime.now(dt.UTC)
    asked = {"run": run, "asked_at": now}
    finished = {**asked, "finished_at": now, "model": doc.get("model"), "requests": 1}
    ref.update(
        {
            "asked_enrichments": ["chapters", "translation_de", "translation_es", "translation_fr"],
            "enrichments": {
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
                    "exports": _french_subtitles(doc, rows),
                },
                "translation_de": {
                    "kind": "translation",
                    "lang": "de",
                    "status": "processing",
                    **asked,
                },
                "translation_es": {
                    **_completed("translation", "es", finished),
                    "status": "failed",
                    "reason": FAILED_REASON,
                },
                "chapters": _completed("chapters", None, finished),
            },
            "chapters": CHAPTERS,
            "summary": SUMMARY,
        }
    )
    return ref.get().to_dict() or {}


def _with_exports(ref: Any) -> dict[str, Any]:
    """The completed document once the store recorded its exports (after the final commit)."""
    deadline = time.monotonic() + EXPORTS_WAIT_S
    while not (doc := ref.get().to_dict() or {}).get("exports"):
        assert time.monotonic() < deadline, (
            f"no exports after {EXPORTS_WAIT_S} s: {doc.get('status')}"
        )
        time.sleep(0.1)
    assert doc.get("status") == "completed", doc.get("status")
    return doc


def _page_fields(page: dict[str, Any]) -> dict[str, Any]:
    keys = ("index", "owner", "run", "count", "first_start_ms", "last_start_ms")
    return {key: page.get(key) for key in keys}


def _completed(kind: str, lang: str | None, finished: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": kind,
        "lang": lang,
        "status": "completed",
        "reason": None,
        "issues": [],
        **finished,
    }


def _french_subtitles(doc: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, str]:
    """`transcript.fr.vtt` and `.srt` beside the transcript's exports, with the speakers' names;
    an untranslated row keeps its original text."""
    shown = [{**s, "text": FRENCH.get(s["text"], s["text"])} for s in rows]
    items = cues(shown, doc.get("speakers") or [], doc.get("duration_ms"))
    uris = {}
    for kind, body in {"vtt": to_vtt(items), "srt": to_srt(items)}.items():
        bucket, name = doc["exports"][kind].removeprefix("gs://").split("/", 1)
        french = name.replace(f"transcript.{kind}", f"transcript.fr.{kind}")
        blob = clients.storage_client().bucket(bucket).blob(french)
        blob.upload_from_string(body, content_type=EXPORTS[kind][1])
        uris[kind] = f"gs://{bucket}/{french}"
    return uris
