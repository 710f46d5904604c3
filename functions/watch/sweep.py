"""The periodic sweep: a `processing` transcription whose lease has expired and whose document
has not changed for `settings.stall_s` is ended, so nothing stays `processing` forever.

- its run published its final chunk, and nothing changed for `settings.delivery_horizon_s` (the
  store lost the rest, and the dead-letter path did not end it): `failed` — a re-drive would be
  skipped by the claim as a duplicate;
- not re-driven yet for this generation, and the object is still there: re-driven once
  (`redriven` {generation, at} is recorded first, then the object's data goes to the re-drive
  topic and the transcriber takes over with the next attempt);
- re-driven before, or the object is gone or replaced: `failed` with the reason.

An enrichment of a completed transcription stalled in `processing` (decision 0026) is re-driven
once, then failed, the same way (`enrichments`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.core import clients, logs
from functions.core.documents import TRANSCRIPTIONS, Status
from functions.core.settings import Settings
from functions.watch import ending, enrichments, redrive

log = logs.get_logger("watch")
PUBLISH_TIMEOUT_S = 30.0
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)


def sweep(settings: Settings, now: dt.datetime | None = None) -> dict[str, str]:
    """End every stalled transcription and enrichment; {transcription id (`{id}/{name}` for an
    enrichment): what was done} (for logs and tests)."""
    now = now or dt.datetime.now(dt.UTC)
    db = clients.firestore_client(settings.firestore_database)
    waiting = [Status.PROCESSING.value, Status.QUEUED.value]  # queued: in a batch (0032)
    processing = db.collection(TRANSCRIPTIONS).where(filter=FieldFilter("status", "in", waiting))
    done: dict[str, str] = {}
    for snapshot in processing.stream():
        doc = snapshot.to_dict() or {}
        wait = settings.delivery_horizon_s if _published(doc) else settings.stall_s
        if stalled(doc, now, wait):
            try:
                done[snapshot.id] = _end(db, snapshot, doc, settings)
            except api_errors.GoogleAPICallError as exc:  # the next tick tries again
                log.warning(f"sweep: {exc}", extra={"transcription_id": snapshot.id})
                done[snapshot.id] = "error"
    done |= enrichments.sweep(settings, now)
    log.info(f"sweep: {len(done)} stalled", extra={"actions": done})
    return done


def stalled(doc: dict[str, Any], now: dt.datetime, stall_s: float) -> bool:
    """No live lease, and no write for `stall_s` (heartbeats and stored chunks both write)."""
    expires = (doc.get("lease") or {}).get("expires_at")
    changed = doc.get("updated_at") or doc.get("created_at")
    if expires is not None and expires > now:
        return False
    return changed is None or changed <= now - dt.timedelta(seconds=stall_s)


def _published(doc: dict[str, Any]) -> bool:
    """Whether the document's run published its final chunk (its chunks may still be retried)."""
    run = ending.RunRef.of(doc)
    return run is not None and run.key in (doc.get("finished_runs") or {})


def _end(db: firestore.Client, snapshot: Any, doc: dict[str, Any], settings: Settings) -> str:
    tid, run = snapshot.id, ending.RunRef.of(doc)
    if run is None:
        log.warning("stalled without a run; left alone", extra={"transcription_id": tid})
        return "no run"
    idle = f"no progress for {settings.stall_s:g} s"
    if _published(doc):
        idle = f"no progress for {settings.delivery_horizon_s:g} s"
        reason = f"{idle}: the run's output was published but never completely stored"
        return ending.fail_run(tid, run, reason, by="sweep")
    if (doc.get("redriven") or {}).get("generation") == run.generation:
        return ending.fail_run(tid, run, f"{idle}, after one re-drive", by="sweep")
    data, why_not = _live_object(doc.get("source") or {}, run)
    if data is None:
        return ending.fail_run(tid, run, f"{idle}; not re-driven: {why_not}", by="sweep")
    return _redrive(db, snapshot, run, data, settings)


def _live_object(source: dict[str, Any], run: ending.RunRef) -> tuple[dict[str, Any] | None, str]:
    """The object's data as a finalize event carries it, if the run's generation is still live."""
    if not source.get("bucket") or not source.get("name"):
        return None, "the document names no object"
    blob = clients.storage_client().bucket(source["bucket"]).get_blob(source["name"])
    if blob is None:
        return None, f"gs://{source['bucket']}/{source['name']} no longer exists"
    if str(blob.generation) != run.generation:
        return None, f"the object is now generation {blob.generation}"
    return redrive.object_data(blob), ""


def _redrive(
    db: firestore.Client,
    snapshot: Any,
    run: ending.RunRef,
    data: dict[str, Any],
    settings: Settings,
) -> str:
    """Record the re-drive (only if the document is unchanged since the sweep read it: a
    concurrent sweep or a late write wins), then publish it: at most once per generation."""
    mark = {
        "redriven": {"generation": run.generation, "at": firestore.SERVER_TIMESTAMP},
        "updated_at": firestore.SERVER_TIMESTAMP,  # the re-driven run gets stall_s of its own
    }
    try:
        snapshot.reference.update(
            mark, option=db.write_option(last_update_time=snapshot.update_time)
        )
    except CHANGED:
        return "changed meanwhile"
    publisher = clients.publisher()
    future = publisher.publish(
        publisher.topic_path(settings.project, settings.redrive_topic),
        redrive.encode(data),
        transcription_id=snapshot.id,
        generation=run.generation,
    )
    future.result(timeout=PUBLISH_TIMEOUT_S)
    log.info(
        f"re-driven after no progress for {settings.stall_s:g} s",
        extra={"transcription_id": snapshot.id, "run": f"{run.generation}/{run.attempt}"},
    )
    return "redriven"
