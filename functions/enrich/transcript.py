"""The completed run's transcript as the enrichment reads it: its pages (in order, the run's
only), every row numbered across them, and the speakers the run identified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core.documents import PAGES
from functions.enrich.prompt import Row, Speaker


@dataclass(frozen=True)
class Page:
    """One of the transcript's pages: its document id, index and segments as stored."""

    id: str
    index: int
    segments: list[dict[str, Any]]


@dataclass(frozen=True)
class Transcript:
    pages: list[Page]
    speakers: list[Speaker]
    duration_ms: int | None

    @property
    def rows(self) -> list[Row]:
        """Every segment, numbered from 0 across the pages."""
        segments = [segment for page in self.pages for segment in page.segments]
        return [
            Row(index, int(s["start_ms"]), s.get("voice"), str(s["text"]))
            for index, s in enumerate(segments)
        ]


def read(ref: firestore.DocumentReference, doc: dict[str, Any], run: dict[str, Any]) -> Transcript:
    """The transcript of `run` on the transcription `ref` (its document as read: `doc`)."""
    pages = [
        Page(snapshot.id, int(snapshot.get("index")), list(snapshot.get("segments")))
        for snapshot in ref.collection(PAGES).order_by("index").stream()
        if snapshot.get("run") == run
    ]
    return Transcript(pages, identified(doc.get("speakers") or []), doc.get("duration_ms"))


def identified(speakers: list[dict[str, Any]]) -> list[Speaker]:
    """The speakers the run named (a voice the model left unnamed tells the chapters nothing)."""
    return [
        Speaker(int(s["voice"]), s.get("name"), s.get("company"), s.get("position"), s.get("role"))
        for s in speakers
        if s.get("name") and not s.get("placeholder")
    ]
