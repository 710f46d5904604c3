"""End an enrichment from outside it (decision 0026): a dead-lettered task, or one the sweep finds
stalled in `processing` (re-driven once: its task published again, then failed).

Only `enrichments.{name}` changes, in a transaction that checks the enrichment is still the
document's run's and `processing`: the transcription's status, and an outcome the enrichment
recorded itself, are never touched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from google.api_core import exceptions as api_errors
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.core import clients, events, logs, tasks
from functions.core.catalog import catalog
from functions.core.documents import ENRICHMENTS, TRANSCRIPTIONS, Status
from functions.core.events import EnrichedData, enriched_event
from functions.core.events import RunRef as EventRun
from functions.core.messages import enrichment_kind
from functions.core.settings import Settings, get_settings
from functions.watch.ending import MAX_REASON, RunRef

log = logs.get_logger("watch")
PUBLISH_TIMEOUT_S = 30.0
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)

Ended = Literal["failed", "superseded", "ended", "missing"]


def names() -> list[str]:
    """Every enrichment there may be: the chapters, and a translation per catalog language."""
    return ["chapters", *(f"translation_{code}" for code in sorted(catalog().languages))]


def fail_enrichment(transcription_id: str, run: RunRef, name: str, reason: str, by: str) -> Ended:
    """Record enrichment `name` `failed` with `reason`, if it is still `processing` for `run`,
    the document's run."""
    db = clients.firestore_client(get_settings().firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(transcription_id)
    ended: Ended = "missing"

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> None:
        nonlocal ended
        doc = ref.get(transaction=transaction).to_dict()
        ended = _state(doc, run, name)
        if ended == "failed":
            transaction.update(ref, _failed_fields(name, reason[:MAX_REASON], by))

    mark(db.transaction())
    extra = {"transcription_id": transcription_id, "run": f"{run.generation}/{run.attempt}"}
    log.info(f"{by}: {name} {ended}" + (f": {reason}" if ended == "failed" else ""), extra=extra)
    if ended == "failed":
        _announce(transcription_id, run, name, reason[:MAX_REASON])
    return ended


def _announce(transcription_id: str, run: RunRef, name: str, reason: str) -> None:
    """`transcription.enriched` for an enrichment the watchdog failed, as the enrichment room
    publishes it for one it ended itself (a redelivery after a crash here publishes nothing:
    the enrichment is no longer `processing`)."""
    kind, lang = enrichment_kind(name)
    data = EnrichedData(
        id=transcription_id,
        run=EventRun(generation=run.generation, attempt=run.attempt),
        enrichment=name,
        kind=kind,
        lang=lang,
        status="failed",
        reason=reason,
        exports={},
    )
    events.publish(enriched_event(data, dt.datetime.now(dt.UTC)), transcription_id)


def _state(doc: dict[str, Any] | None, run: RunRef, name: str) -> Ended:
    if doc is None:
        return "missing"
    enrichment = (doc.get("enrichments") or {}).get(name) or {}
    if RunRef.of(doc) != run or RunRef.of(enrichment) != run:
        return "superseded"
    return "failed" if enrichment.get("status") == Status.PROCESSING.value else "ended"


def _failed_fields(name: str, reason: str, by: str) -> dict[str, Any]:
    return {
        f"enrichments.{name}.status": Status.FAILED.value,
        f"enrichments.{name}.reason": reason,
        f"enrichments.{name}.finished_at": firestore.SERVER_TIMESTAMP,
        f"enrichments.{name}.ended_by": by,
        "updated_at": firestore.SERVER_TIMESTAMP,
    }


def sweep(settings: Settings, now: dt.datetime) -> dict[str, str]:
    """Re-drive, or fail, every enrichment `processing` for longer than `enrich_stall_s` whose
    lease (if it claimed one) has expired; {`{id}/{name}`: what was done}."""
    db = clients.firestore_client(settings.firestore_database)
    done: dict[str, str] = {}
    for name in names():
        field = f"enrichments.{name}.status"
        processing = db.collection(TRANSCRIPTIONS).where(
            filter=FieldFilter(field, "==", Status.PROCESSING.value)
        )
        for snapshot in processing.stream():
            doc = snapshot.to_dict() or {}
            if not _stalled(snapshot, doc, name, now, settings.enrich_stall_s):
                continue
            try:
                done[f"{snapshot.id}/{name}"] = _end(db, snapshot, doc, name, settings)
            except api_errors.GoogleAPICallError as exc:  # the next tick tries again
                log.warning(f"sweep: {name}: {exc}", extra={"transcription_id": snapshot.id})
                done[f"{snapshot.id}/{name}"] = "error"
    return done


def _stalled(
    snapshot: Any, doc: dict[str, Any], name: str, now: dt.datetime, stall_s: float
) -> bool:
    """Asked (or re-driven) more than `stall_s` ago, and no live lease on its claim."""
    enrichment = doc["enrichments"][name]
    since = (enrichment.get("redriven") or {}).get("at") or enrichment.get("asked_at")
    if since is not None and since > now - dt.timedelta(seconds=stall_s):
        return False
    run = RunRef.of(enrichment)
    if run is None:
        return True
    claim = snapshot.reference.collection(ENRICHMENTS).document(
        f"{run.generation}-{run.attempt}-{name}"
    )
    expires = ((claim.get().to_dict() or {}).get("lease") or {}).get("expires_at")
    return expires is None or expires <= now


def _end(
    db: firestore.Client, snapshot: Any, doc: dict[str, Any], name: str, settings: Settings
) -> str:
    enrichment, tid = doc["enrichments"][name], snapshot.id
    run = RunRef.of(enrichment)
    idle = f"no progress for {settings.enrich_stall_s:g} s"
    if run is None or RunRef.of(doc) != run:
        return "superseded"
    if enrichment.get("redriven"):
        return fail_enrichment(tid, run, name, f"{idle}, after one re-drive", by="sweep")
    mark = {
        f"enrichments.{name}.redriven": {"at": firestore.SERVER_TIMESTAMP},
        "updated_at": firestore.SERVER_TIMESTAMP,
    }
    try:  # recorded only if the document is unchanged since the sweep read it: once
        snapshot.reference.update(
            mark, option=db.write_option(last_update_time=snapshot.update_time)
        )
    except CHANGED:
        return "changed meanwhile"
    task = tasks.enrich_task(tid, doc, name)
    publisher = clients.publisher()
    future = publisher.publish(
        publisher.topic_path(settings.project, settings.clips_topic),
        task.model_dump_json(exclude_none=True).encode(),
        **task.attributes(),
    )
    future.result(timeout=PUBLISH_TIMEOUT_S)
    log.info(f"{name} re-driven after {idle}", extra={"transcription_id": tid})
    return "redriven"
