"""One correction, start to end: the transcription read and authorised, the change decided
(`edits`), then the document, the changed pages and the history entry committed in one batch
guarded by the document's update time as read (as the store's writes are: decision 0003), then
the exports and the event (`follow`).

A run still `processing` is refused (409): the store owns the document until the run ends, so
neither can lose the other's writes. A claim of a new run after our read changes the document,
so our commit fails its precondition, and the read again finds the run `processing`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.cloud import firestore

from functions.core import clients, logs
from functions.core.documents import PAGES, TRANSCRIPTIONS, Status
from functions.core.settings import Settings
from functions.corrections import edits, follow
from functions.corrections.ask import Ask
from functions.store.state import current_run, recount
from functions.store.writes import CHANGED, MAX_ATTEMPTS

HISTORY = "history"
log = logs.get_logger("corrections")


class Forbidden(Exception):
    """Not the caller's transcription (or none): HTTP 403, nothing changed."""


class Busy(edits.Conflict):
    """A run is writing the transcription: HTTP 409, nothing changed."""


def correct(settings: Settings, uid: str, ask: Ask) -> dict[str, Any]:
    """Make the correction `ask` for `uid`; the answer's body."""
    db = clients.firestore_client(settings.firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(ask.transcription)
    for _ in range(MAX_ATTEMPTS):
        snapshot = ref.get()
        doc = _authorised(snapshot.to_dict() if snapshot.exists else None, uid)
        made = _Correction(db, ref, doc, uid, ask)
        try:
            made.commit(snapshot.update_time)
        except CHANGED:
            continue
        uris = follow.regenerate(ask.transcription, made.doc, made.segments, made.ref_event())
        extra = {"transcription_id": ask.transcription, "correction": made.entry["seq"]}
        log.info(f"correction {made.entry['action']} made", extra=extra)
        return made.answer(uris)
    raise RuntimeError("the transcription kept changing; try again")


def _authorised(doc: dict[str, Any] | None, uid: str) -> dict[str, Any]:
    if doc is None or doc.get("owner") != uid:
        raise Forbidden("no transcription of yours has this id")
    if doc.get("status") == Status.PROCESSING.value or not (doc.get("store") or {}).get("run"):
        raise Busy(
            "the transcription is still being written (status processing): correct it once "
            "it has finished"
        )
    return doc


class _Correction:
    """The change decided on the transcription as read, and the writes that record it."""

    def __init__(
        self, db: firestore.Client, ref: Any, doc: dict[str, Any], uid: str, ask: Ask
    ) -> None:
        self.db, self.ref, self.uid = db, ref, uid
        self.run = current_run(doc)
        assert self.run is not None  # _authorised: a finished run
        self.pages = [p for p in ref.collection(PAGES).order_by("index").stream() if self._ours(p)]
        live = doc.get("live_page") or {}  # a run the watchdog ended keeps its growing page
        self.live = live if live.get("run") == self.run.model_dump() else {}
        segments = [s for page in self.pages for s in page.get("segments")]
        self.transcript = edits.Transcript.of(doc, segments + list(self.live.get("segments") or []))
        history = [e.to_dict() for e in ref.collection(HISTORY).order_by("seq").stream()]
        self.history = [e for e in history if e.get("run") == self.run.model_dump()]
        self.at = dt.datetime.now(dt.UTC)
        seq = int((doc.get("corrections") or {}).get("seq") or 0) + 1
        change = edits.decide(self.transcript, self.history, ask)
        self.entry = {**change, "seq": seq, "by": uid, "at": self.at, "run": self.run.model_dump()}
        self.doc = self._followed(doc)

    def _ours(self, page: Any) -> bool:
        return bool(page.get("run") == self.run.model_dump())  # type: ignore[union-attr]

    @property
    def segments(self) -> list[dict[str, Any]]:
        return self.transcript.segments

    def _followed(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The document's fields after the correction."""
        history = [*self.history, self.entry]
        if self.entry["action"] == "undo":
            history = [
                {**e, "undone_by": self.entry["seq"]} if e["seq"] == self.entry["undoes"] else e
                for e in history
            ]
        stats = recount(self.segments, doc.get("duration_ms"))
        speakers = self.transcript.table(stats, edits.edited_voices(history))
        self.fields = {
            "speakers": speakers,
            "counts.speakers": len(speakers),
            "store.voices": {voice: s.model_dump() for voice, s in stats.items()},
            "corrections": {
                "seq": self.entry["seq"],
                "standing": len(edits.standing(history)),
                "last": {k: self.entry[k] for k in ("seq", "action", "by", "at")},
            },
        }
        counts = {**(doc.get("counts") or {}), "speakers": len(speakers)}
        store = {**doc["store"], "voices": self.fields["store.voices"]}
        return {**doc, **self.fields, "counts": counts, "store": store}

    def commit(self, read_at: Any) -> None:
        batch = self.db.batch()
        history = self.ref.collection(HISTORY)
        batch.create(history.document(f"{self.entry['seq']:06d}"), self.entry)
        if self.entry["action"] == "undo":
            undone = history.document(f"{self.entry['undoes']:06d}")
            batch.update(undone, {"undone_by": self.entry["seq"]})
        live = self._pages(batch)
        fields = {**self.fields, **live, "updated_at": firestore.SERVER_TIMESTAMP}
        batch.update(self.ref, fields, option=self.db.write_option(last_update_time=read_at))
        batch.commit()

    def _pages(self, batch: Any) -> dict[str, Any]:
        """The pages holding a segment whose voice changed, rewritten; the growing page's
        change, if any, as the document's field."""
        start = 0
        for page in self.pages:
            count = len(page.get("segments"))
            if self.transcript.changed & set(range(start, start + count)):
                batch.update(page.reference, {"segments": self.segments[start : start + count]})
            start += count
        if self.live and self.transcript.changed & set(range(start, len(self.segments))):
            return {"live_page": {**self.live, "segments": self.segments[start:]}}
        return {}

    def ref_event(self) -> follow.Made:
        return follow.Made(self.entry["seq"], self.entry["action"], self.uid, self.at)

    def answer(self, uris: dict[str, str]) -> dict[str, Any]:
        entry = {**self.entry, "at": self.at.isoformat().replace("+00:00", "Z")}
        return {
            "transcription": self.ref.id,
            "correction": {k: v for k, v in entry.items() if k not in ("before", "after")},
            "speakers": self.doc["speakers"],
            "exports": uris,
        }
