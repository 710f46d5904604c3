"""One correction, start to end: the transcription read and authorised, the change decided
(`edits`), then the document, the changed pages and the history entry committed in one batch
guarded by the document's update time as read (as the store's writes are: decision 0003), then
the exports and the event (`follow`). `carry` commits the corrections it carries over to a new
run the same way, several entries in one batch.

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
from functions.core.http import Forbidden
from functions.core.settings import Settings
from functions.corrections import edits, follow
from functions.corrections.ask import Ask
from functions.store.state import current_run, recount
from functions.store.writes import CHANGED, MAX_ATTEMPTS

HISTORY = "history"
log = logs.get_logger("corrections")


class Busy(edits.Conflict):
    """A run is writing the transcription: HTTP 409, nothing changed."""


def correct(settings: Settings, uid: str, ask: Ask) -> dict[str, Any]:
    """Make the correction `ask` for `uid`; the answer's body."""
    db = clients.firestore_client(settings.firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(ask.transcription)
    for _ in range(MAX_ATTEMPTS):
        snapshot = ref.get()
        doc = _authorised(snapshot.to_dict() if snapshot.exists else None, uid)
        made = Corrections(db, ref, doc)
        entry = made.decide(ask, uid)
        try:
            made.commit(snapshot.update_time)
        except CHANGED:
            continue
        uris = made.follow(entry)
        extra = {"transcription_id": ask.transcription, "correction": entry["seq"]}
        log.info(f"correction {entry['action']} made", extra=extra)
        return made.answer(entry, uris)
    raise RuntimeError("the transcription kept changing; try again")


def _authorised(doc: dict[str, Any] | None, uid: str) -> dict[str, Any]:
    if doc is None or doc.get("owner") != uid:
        raise Forbidden("no transcription of yours has this id")
    if not finished(doc):
        raise Busy(
            "the transcription is still being written (status processing): correct it once "
            "it has finished"
        )
    return doc


def finished(doc: dict[str, Any]) -> bool:
    """Whether the document's run has ended, so the store no longer writes it."""
    store = doc.get("store") or {}
    running = (Status.PROCESSING.value, Status.QUEUED.value)
    return doc.get("status") not in running and bool(store.get("run"))


class Corrections:
    """The transcription's run as read, the corrections decided on it, and the writes that
    record them."""

    def __init__(self, db: firestore.Client, ref: Any, doc: dict[str, Any]) -> None:
        self.db, self.ref, self.read = db, ref, doc
        run = current_run(doc)
        assert run is not None  # finished(): the store recorded a run
        self.run = run.model_dump()
        self.pages = [p for p in ref.collection(PAGES).order_by("index").stream() if self._ours(p)]
        live = doc.get("live_page") or {}  # a run the watchdog ended keeps its growing page
        self.live = live if live.get("run") == self.run else {}
        segments = [s for page in self.pages for s in page.get("segments")]
        self.transcript = edits.Transcript.of(doc, segments + list(self.live.get("segments") or []))
        self.all_history = [e.to_dict() for e in ref.collection(HISTORY).order_by("seq").stream()]
        self.history = [e for e in self.all_history if e.get("run") == self.run]
        self.made: list[dict[str, Any]] = []
        self.at = dt.datetime.now(dt.UTC)
        self.fields: dict[str, Any] = {}

    def _ours(self, page: Any) -> bool:
        return bool(page.get("run") == self.run)

    @property
    def segments(self) -> list[dict[str, Any]]:
        return self.transcript.segments

    def decide(self, ask: Ask, by: str, **extra: Any) -> dict[str, Any]:
        """Decide the correction `ask` on the transcript as it stands; its history entry."""
        keys = {"voice": self._match(ask.voice), "into": self._match(ask.into)}
        change = edits.decide(self.transcript, self.history, ask)
        last = max((e["seq"] for e in self.all_history), default=0)
        entry = {**change, "seq": last + 1, "by": by, "at": self.at, "run": self.run, **extra}
        if entry["action"] != "undo":
            entry["match"] = keys
        self.all_history.append(entry)
        self.history.append(entry)
        if entry["action"] == "undo":
            for earlier in self.history:
                if earlier["seq"] == entry["undoes"]:
                    earlier["undone_by"] = entry["seq"]
        self.made.append(entry)
        return entry

    def _match(self, voice: int | None) -> dict[str, Any] | None:
        """How a later run recognises `voice`: as the model named it and where it heard the
        evidence (an earlier entry of this run already knows, before any rename)."""
        if voice is None:
            return None
        for entry in self.history:
            for role in ("voice", "into"):
                if entry.get(role) == voice and (entry.get("match") or {}).get(role):
                    return dict(entry["match"][role])
        speaker = self.transcript.speakers.get(voice) or {}
        return {"name": speaker.get("name"), "evidence_ms": speaker.get("evidence_ms")}

    def update(self, **more: Any) -> None:
        """The document's fields after the corrections made (and `more` of `corrections`)."""
        stats = recount(self.segments, self.read.get("duration_ms"))
        speakers = self.transcript.table(stats, edits.edited_voices(self.history))
        summary = {
            **(self.read.get("corrections") or {}),  # what a carry-over recorded stays
            "seq": max((e["seq"] for e in self.all_history), default=0),
            "standing": len(edits.standing(self.history)),
            **more,
        }
        if self.made:
            summary["last"] = {k: self.made[-1][k] for k in ("seq", "action", "by", "at")}
        self.fields = {
            "speakers": speakers,
            "counts.speakers": len(speakers),
            "store.voices": {voice: s.model_dump() for voice, s in stats.items()},
            "corrections": summary,
        }

    @property
    def doc(self) -> dict[str, Any]:
        """The document as the commit leaves it."""
        counts = {**(self.read.get("counts") or {}), "speakers": len(self.fields["speakers"])}
        store = {**self.read["store"], "voices": self.fields["store.voices"]}
        plain = {k: v for k, v in self.fields.items() if "." not in k}
        return {**self.read, **plain, "counts": counts, "store": store}

    def commit(self, read_at: Any, **more: Any) -> None:
        """The entries made, the pages they changed and the document, at once, guarded."""
        self.update(**more)
        batch = self.db.batch()
        history = self.ref.collection(HISTORY)
        for entry in self.made:
            batch.create(history.document(f"{entry['seq']:06d}"), entry)
            if entry["action"] == "undo":
                undone = history.document(f"{entry['undoes']:06d}")
                batch.update(undone, {"undone_by": entry["seq"]})
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

    def follow(self, entry: dict[str, Any]) -> dict[str, str]:
        """The exports and the `updated` event, after the commit, for `entry` (the last)."""
        made = follow.Made(entry["seq"], entry["action"], entry["by"], self.at)
        doc = self.doc
        languages = follow.translations(self.ref, doc, len(self.segments))
        return follow.regenerate(self.ref.id, doc, self.segments, made, languages)

    def answer(self, entry: dict[str, Any], uris: dict[str, str]) -> dict[str, Any]:
        shown = {k: v for k, v in entry.items() if k not in ("before", "after", "match")}
        return {
            "transcription": self.ref.id,
            "correction": {**shown, "at": self.at.isoformat().replace("+00:00", "Z")},
            "speakers": self.fields["speakers"],
            "exports": uris,
        }
