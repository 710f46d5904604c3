"""End a run `failed` from outside it, and publish its completion event (docs/events.md).

The store is the usual writer of terminal statuses; the watchdog writes one only for a run that
can no longer end by itself, in a transaction that checks the run is still the document's and the
document is not terminal, so it never overwrites an outcome or a newer run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from google.cloud import firestore

from functions.core import clients, events, logs
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, Status, finished_run_key
from functions.core.events import build_event, event_id, event_type
from functions.core.settings import get_settings

log = logs.get_logger("watch")
ZERO_COUNTS = {"segments": 0, "speakers": 0, "issues": 0, "pages": 0}
MAX_REASON = 2000

Ended = Literal["failed", "superseded", "terminal", "missing", "stored"]


@dataclass(frozen=True)
class RunRef:
    generation: str
    attempt: int

    @property
    def key(self) -> str:
        """The run's key in `finished_runs` (decision 0002)."""
        return finished_run_key(self.generation, self.attempt)

    @classmethod
    def of(cls, doc: dict[str, Any]) -> RunRef | None:
        run = doc.get("run") or {}
        if not run.get("generation") or not run.get("attempt"):
            return None
        return cls(str(run["generation"]), int(run["attempt"]))


def fail_run(
    transcription_id: str, run: RunRef, reason: str, by: str, lost_seq: int | None = None
) -> Ended:
    """Record `failed` with `reason` if `run` is still the document's run and the document is
    not terminal (and, given `lost_seq`, if the store does not hold that chunk after all: a
    delivery can fail after the store committed it); then publish the completion event (again,
    if a crash left it unpublished)."""
    db = clients.firestore_client(get_settings().firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(transcription_id)
    ended = _mark_failed(db, ref, run, reason[:MAX_REASON], by, lost_seq)
    doc = ref.get().to_dict() or {}
    # only an event the watchdog recorded: the store publishes its own (with the exports)
    ours = bool(doc.get("ended_by")) and (doc.get("event") or {}).get("id") == event_id(
        transcription_id, run
    )
    if ended in ("failed", "terminal") and ours and not doc["event"].get("published"):
        _publish(db, ref, transcription_id, run, doc)
    extra = {"transcription_id": transcription_id, "run": f"{run.generation}/{run.attempt}"}
    if ended == "failed":
        extra |= logs.outcome("failed", by)
    log.info(f"{by}: {ended}" + (f": {reason}" if ended == "failed" else ""), extra=extra)
    return ended


def _mark_failed(
    db: firestore.Client,
    ref: firestore.DocumentReference,
    run: RunRef,
    reason: str,
    by: str,
    lost_seq: int | None,
) -> Ended:
    ended: Ended = "missing"

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> None:
        nonlocal ended
        doc = ref.get(transaction=transaction).to_dict()
        if doc is None:
            ended = "missing"
        elif RunRef.of(doc) != run:
            ended = "superseded"
        elif doc.get("status") in TERMINAL:
            ended = "terminal"
        elif lost_seq is not None and _holds(doc.get("store") or {}, run, lost_seq):
            ended = "stored"
        else:
            transaction.update(ref, _failed_fields(ref.id, run, reason, by))
            ended = "failed"

    mark(db.transaction())
    return ended


def _holds(store: dict[str, Any], run: RunRef, seq: int) -> bool:
    """Whether the store's cursor has chunk `seq` of `run`: applied, or buffered in `pending`."""
    if RunRef.of(store) != run:
        return False
    return seq < int(store.get("next_seq") or 0) or seq in (store.get("buffered") or [])


def _failed_fields(transcription_id: str, run: RunRef, reason: str, by: str) -> dict[str, Any]:
    return {
        "status": Status.FAILED.value,
        "reason": reason,
        "finished_at": firestore.SERVER_TIMESTAMP,
        "updated_at": firestore.SERVER_TIMESTAMP,
        "event": {
            "id": event_id(transcription_id, run),
            "type": event_type(Status.FAILED),
            "published": False,
        },
        "ended_by": by,
    }


def _publish(
    db: firestore.Client,
    ref: firestore.DocumentReference,
    transcription_id: str,
    run: RunRef,
    doc: dict[str, Any],
) -> None:
    """The same event the store would publish for this run, from what the document holds."""
    run_dict = {"generation": run.generation, "attempt": run.attempt}
    store = {**(doc.get("store") or {}), "run": run_dict}
    filled = {**doc, "store": store, "counts": doc.get("counts") or ZERO_COUNTS}
    event = build_event(transcription_id, filled, doc.get("exports") or {})
    events.publish(event, transcription_id)
    _mark_published(db, ref, event.id)


def _mark_published(
    db: firestore.Client, ref: firestore.DocumentReference, published_id: str
) -> None:
    """Record the publication, unless a newer run replaced the event meanwhile."""

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> None:
        doc = ref.get(transaction=transaction).to_dict() or {}
        if (doc.get("event") or {}).get("id") == published_id:
            transaction.update(
                ref, {"event.published": True, "event.published_at": firestore.SERVER_TIMESTAMP}
            )

    mark(db.transaction())
