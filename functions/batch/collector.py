"""The collector (decisions 0031, 0032): a request becomes a line of the open batch of its mode and
model in one Firestore transaction; a batch is sealed when it holds `batch_max` lines (at the add)
or has waited `batch_wait_s` (`seal_overdue`, from the scheduled poll). A sealed batch never takes
another line and a line never moves: every request is in exactly one batch."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel

from functions.core import logs
from functions.core.documents import BATCH_LINES, BATCH_OPEN, BATCHES, TRANSCRIPTIONS, Status
from functions.core.settings import Settings

log = logs.get_logger("batch")
ADD_ATTEMPTS = 100  # every add of a mode and model contends for its open batch
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)  # a conditional write lost a race
# How long a job lives at most on each service before it ends by itself (decision 0034): the
# Gemini API expires one pending or running for more than 48 h; Vertex queues one up to 72 h, then
# runs it up to 24 h and fails it (its completed rows exported).
JOB_LIFE_S = {"developer": 48 * 3600.0, "vertex": (72 + 24) * 3600.0}
JOB_MARGIN_S = 3600.0  # a tick or two of the poll, and clocks apart
TURNAROUND_S = 24 * 3600.0  # the Gemini API's target: "designed to complete within 24 h"


class Line(BaseModel):
    """One request of one run (or clip) and what its answer needs to be published as that run's
    chunks: `batch_lines/{key}`."""

    key: str
    transcription_id: str
    generation: str
    attempt: int  # the claim's: the run's, or the clip's own
    clip: dict[str, int] | None = None  # {run_attempt, index}
    object: dict[str, Any]  # the StorageObject the run transcribes
    plan: dict[str, Any]
    prompt: str
    duration_ms: int | None = None
    media_file: dict[str, Any] | None = None  # the Developer API's Files API copy it names
    sends: dict[str, Any] | None = None  # the voices pass's reel (a StorageObject) it names
    continues: dict[str, Any] | None = None  # a continuation's task (a ContinueTask)
    request: dict[str, Any]  # `lines.stored`
    mode: str
    model: str
    location: str | None = None
    tries: int = 1  # 2: the one retry of a failed line, or a line of a failed job re-queued

    @property
    def slot(self) -> str:
        """Which open batch it joins: one per mode, model (and Vertex location)."""
        return "-".join(p for p in (self.mode, self.model, self.location) if p)


def line_key(
    transcription_id: str,
    generation: str,
    attempt: int,
    clip: dict[str, int] | None,
    continuation: int = 0,
) -> str:
    """Deterministic: a redelivered task finds its own line (a continuation's has its number)."""
    key = f"{transcription_id}-{generation}-{attempt}"
    key = f"{key}-c{clip['run_attempt']}-{clip['index']:03d}" if clip else key
    return f"{key}-n{continuation}" if continuation else key


def add(db: firestore.Client, settings: Settings, line: Line, now: dt.datetime) -> tuple[str, bool]:
    """Add `line` to its open batch (opening one if none): (the batch, whether this add sealed
    it). A line already added (a redelivery) is found and left where it is.

    One atomic commit of the line, the batch's count (and seal) and the open-batch pointer, each
    on the condition that what it was decided on is unchanged since its read (or still absent):
    optimistic, as the claims (decision 0002) — a transaction's locks on the one open batch
    every add contends for time out under a burst of uploads. A lost race reads again."""
    line_ref = db.collection(BATCH_LINES).document(line.key)
    slot_ref = db.collection(BATCH_OPEN).document(line.slot)
    for attempt in range(ADD_ATTEMPTS):
        existing = line_ref.get()
        if existing.exists:
            return _added(line, existing.get("batch"), False)
        slot = slot_ref.get()
        open_id = (slot.to_dict() or {}).get("batch")
        current = db.collection(BATCHES).document(open_id).get() if open_id else None
        writes = db.batch()
        if current is not None and current.exists and current.get("state") == "open":
            batch_ref, count = current.reference, int(current.get("count")) + 1
            sealed = count >= settings.batch_max
            writes.update(batch_ref, _counted(count, sealed, now), option=_unchanged(db, current))
        else:
            batch_ref, count = db.collection(BATCHES).document(uuid.uuid4().hex), 1
            sealed = count >= settings.batch_max
            writes.create(batch_ref, _new_batch(line, settings, now) | _counted(1, sealed, now))
        writes.create(line_ref, {**line.model_dump(), "batch": batch_ref.id, "state": "added"})
        pointer = {"batch": None if sealed else batch_ref.id, "updated_at": now}
        if slot.exists:
            writes.update(slot_ref, pointer, option=_unchanged(db, slot))
        else:
            writes.create(slot_ref, pointer)
        try:
            writes.commit()
            return _added(line, batch_ref.id, sealed)
        except CHANGED:
            time.sleep(random.uniform(0, min(0.5, 0.02 * (attempt + 1))))
    raise RuntimeError(f"the open batch of {line.slot} kept changing for {ADD_ATTEMPTS} adds")


def _counted(count: int, sealed: bool, now: dt.datetime) -> dict[str, Any]:
    fields: dict[str, Any] = {"count": count, "updated_at": now}
    return fields | {"state": "sealed", "sealed_at": now} if sealed else fields


def _unchanged(db: firestore.Client, snapshot: Any) -> Any:
    return db.write_option(last_update_time=snapshot.update_time)


def _added(line: Line, batch_id: str, sealed: bool) -> tuple[str, bool]:
    log.info(
        f"line {line.key} in batch {batch_id}" + (" (sealed it)" if sealed else ""),
        extra={"transcription_id": line.transcription_id, "batch": batch_id},
    )
    return batch_id, sealed


def _new_batch(line: Line, settings: Settings, now: dt.datetime) -> dict[str, Any]:
    return {
        "state": "open",
        "mode": line.mode,
        "model": line.model,
        "location": line.location,
        "slot": line.slot,
        "count": 0,
        "opened_at": now,
        "seal_by": now + dt.timedelta(seconds=settings.batch_wait_s),
        "lease_until": None,
        "job": None,
    }


def seal_overdue(db: firestore.Client, now: dt.datetime) -> list[str]:
    """Seal every open batch past its `seal_by` (a transaction each, as the add seals)."""
    sealed = []
    query = db.collection(BATCHES).where(filter=FieldFilter("state", "==", "open"))
    for snapshot in query.stream():
        if snapshot.get("seal_by") <= now and _seal(db, snapshot.reference, now):
            sealed.append(snapshot.id)
    return sealed


def _seal(db: firestore.Client, batch_ref: Any, now: dt.datetime) -> bool:
    result = False

    @firestore.transactional
    def seal(transaction: firestore.Transaction) -> None:
        nonlocal result
        batch = batch_ref.get(transaction=transaction).to_dict() or {}
        result = batch.get("state") == "open"
        if not result:
            return
        slot_ref = db.collection(BATCH_OPEN).document(batch["slot"])
        slot = slot_ref.get(transaction=transaction).to_dict() or {}
        transaction.update(batch_ref, {"state": "sealed", "sealed_at": now, "updated_at": now})
        if slot.get("batch") == batch_ref.id:
            transaction.set(slot_ref, {"batch": None, "updated_at": now})

    seal(db.transaction())
    return result


def lines_of(db: firestore.Client, batch_id: str) -> list[Line]:
    """A batch's lines, in key order."""
    query = db.collection(BATCH_LINES).where(filter=FieldFilter("batch", "==", batch_id))
    found = [Line.model_validate(s.to_dict()) for s in query.stream()]
    return sorted(found, key=lambda line: line.key)


def hold(
    db: firestore.Client,
    transcription_id: str,
    run: dict[str, Any],
    until: dt.datetime,
    processing: bool = False,
) -> None:
    """The batch holds a waiting run: its transcription's lease lasts `until` (past its batch's
    wait and its job's longest life, `job_s`), so the watchdog's sweep takes the run only if
    batch mode stopped moving it; `processing`: the job runs, `queued` becomes `processing`. Only
    while `run` is the document's, and not ended (a compare-and-set, as the claims: the store
    writes the document too)."""
    ref = db.collection(TRANSCRIPTIONS).document(transcription_id)
    waiting = (Status.QUEUED.value, Status.PROCESSING.value)
    for _ in range(ADD_ATTEMPTS):
        snapshot = ref.get()
        doc = snapshot.to_dict() or {}
        if doc.get("run") != run or doc.get("status") not in waiting:
            return
        fields: dict[str, Any] = {
            "lease.expires_at": until,
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        if processing:
            fields["status"] = Status.PROCESSING.value
        try:
            ref.update(fields, option=_unchanged(db, snapshot))
            return
        except CHANGED:  # the store or the transcriber wrote it meanwhile: read again
            time.sleep(random.uniform(0, 0.05))


def job_s(mode: str) -> float:
    """How long a run waits on a job of `mode` (`developer`, `vertex`) at most: past the longest
    life of a job on its service, so a waiting run is held until its job has surely ended."""
    return JOB_LIFE_S[mode] + JOB_MARGIN_S


def upload_run(line: Line) -> dict[str, Any]:
    """The transcription's run the line belongs to (a clip's: its upload run)."""
    attempt = line.clip["run_attempt"] if line.clip else line.attempt
    return {"generation": line.generation, "attempt": attempt}
