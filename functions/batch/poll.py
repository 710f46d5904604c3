"""The scheduled poll of batch mode (`batch_poll`, on the sweep's tick; decision 0032).

Each tick: seals the open batches past their wait; submits the sealed ones nobody holds (the
submit's lease and lookup make a second try find the first's job); follows the submitted jobs —
a running job's transcriptions go `queued` → `processing`, with a lease that outlives the job so
the watchdog's sweep leaves them alone while it runs; an ended job's lines are settled
(`results`). Nothing stays `queued`: every batch moves on at some tick.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.genai import errors

from functions.batch import collector, results, submit
from functions.core import clients, logs
from functions.core.documents import BATCHES
from functions.core.settings import Settings
from functions.transcribe import gemini

log = logs.get_logger("batch")


def poll(settings: Settings, now: dt.datetime | None = None) -> dict[str, str]:
    """One tick: {batch: what was done} (for logs and tests)."""
    now = now or dt.datetime.now(dt.UTC)
    db = clients.firestore_client(settings.firestore_database)
    done = {batch: "sealed" for batch in collector.seal_overdue(db, now)}
    for snapshot in _batches(db, "sealed"):
        client = _client(settings, snapshot.to_dict() or {})
        if submit.try_submit(db, settings, client, snapshot.id, now):
            done[snapshot.id] = "submitted"
    for snapshot in _batches(db, "submitted"):
        try:
            done[snapshot.id] = follow(db, settings, snapshot.id, snapshot.to_dict() or {}, now)
        except (errors.APIError, api_errors.GoogleAPICallError) as exc:  # the next tick tries again
            log.warning(f"batch {snapshot.id}: {exc}", extra={"batch": snapshot.id})
            done[snapshot.id] = "error"
    log.info(f"batch poll: {len(done)} batches moved", extra={"actions": done})
    return done


def follow(
    db: firestore.Client, settings: Settings, batch_id: str, batch: dict[str, Any], now: dt.datetime
) -> str:
    """Where submitted batch `batch_id`'s job stands; an ended job's lines settled."""
    client = _client(settings, batch)
    job = client.batches.get(name=batch["job"])
    state = results.job_state(job)
    if state in results.ENDED:
        if submit.lease(db, batch_id, "submitted", now, settings.batch_lease_s) is None:
            return "held"  # another poll settles it
        results.collect(db, settings, client, batch_id, job)
        return "done"
    if state == "JOB_STATE_RUNNING" and not batch.get("running"):
        until = now + dt.timedelta(seconds=collector.job_s(batch["mode"]))
        for line in collector.lines_of(db, batch_id):
            collector.hold(db, line.transcription_id, collector.upload_run(line), until, True)
        db.collection(BATCHES).document(batch_id).update({"running": True})
    return state.removeprefix("JOB_STATE_").lower()


def _batches(db: firestore.Client, state: str) -> Any:
    return db.collection(BATCHES).where(filter=FieldFilter("state", "==", state)).stream()


def _client(settings: Settings, batch: dict[str, Any]) -> Any:
    return gemini.client(settings, batch.get("location"))
