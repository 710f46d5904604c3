"""After a correction is committed: the exports written again from the corrected transcript, by
the store's own code — each completed translation's subtitles too, their cues on the corrected
voices and names — then the `transcription.updated` event (docs/events.md).

A failure here answers 500 with the correction already recorded: the document and its pages are
right, and the next correction writes the files and an event again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from google.cloud import firestore

from functions.core import logs
from functions.core.documents import PAGES, TRANSLATIONS, Status
from functions.core.events import CorrectionRef, build_update_event
from functions.core.messages import enrichment_kind
from functions.store.finish import publish, translated, write_exports

log = logs.get_logger("corrections")
Translations = dict[str, list[str | None]]  # a language's texts, one per segment (None: missing)


@dataclass(frozen=True)
class Made:
    seq: int
    action: Literal["rename", "merge", "undo"]
    by: str
    at: dt.datetime


def regenerate(
    transcription_id: str,
    doc: dict[str, Any],
    segments: list[dict[str, Any]],
    made: Made,
    translations: Translations,
) -> dict[str, str]:
    """Write the exports of `doc` and `segments` (and of each translation's texts), publish the
    event; the exports' URIs."""
    uris = write_exports(transcription_id, doc, segments)
    for lang, texts in translations.items():
        write_exports(transcription_id, doc, translated(segments, texts), lang)
    correction = CorrectionRef(seq=made.seq, action=made.action, by=made.by)
    publish(build_update_event(transcription_id, doc, uris, correction, made.at))
    return uris


def translations(ref: firestore.DocumentReference, doc: dict[str, Any], count: int) -> Translations:
    """The texts of each completed translation of the run, read from its pages; one that does not
    hold `count` segments (written for another transcript) is left as it is, logged."""
    found: Translations = {}
    for name, entry in (doc.get("enrichments") or {}).items():
        kind, lang = enrichment_kind(name)
        if kind != "translation" or lang is None or entry.get("status") != Status.COMPLETED:
            continue
        pages = ref.collection(TRANSLATIONS).document(lang).collection(PAGES).order_by("index")
        texts = [s.get("text") for page in pages.stream() for s in page.get("segments")]
        if len(texts) == count:
            found[lang] = texts
        else:
            log.warning(
                f"translation {lang}: {len(texts)} segments, not {count}; its exports kept",
                extra={"transcription_id": ref.id},
            )
    return found
