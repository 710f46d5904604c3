"""Submitting a sealed batch (decision 0031): take its lease in a transaction, write its input
(a JSONL of its lines: Vertex, in Cloud Storage; the Gemini API, uploaded to the Files API, never
inlined requests, whose answers carry no dependable key: decision 0034), look for its job by
display name (the batch's id) and create one only if there is none, then record the job in a
transaction. A submitter that dies anywhere leaves a `sealed` batch whose lease lapses: the next
takes it again and finds the job it may have made."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from google import genai
from google.api_core import exceptions as api_errors
from google.cloud import firestore
from google.genai import errors, types

from functions.batch import collector, lines
from functions.core import clients, logs
from functions.core.documents import BATCHES
from functions.core.settings import Settings

log = logs.get_logger("batch")
# Tests set it to stop a submitter right after the service created its job (decision 0031's
# crash between the create and the record).
after_create: Callable[[str], None] | None = None


def try_submit(
    db: firestore.Client,
    settings: Settings,
    client: genai.Client,
    batch_id: str,
    now: dt.datetime | None = None,
) -> str | None:
    """`submit`, a failure logged: the scheduled poll submits a batch left sealed."""
    try:
        return submit(db, settings, client, batch_id, now)
    except (errors.APIError, api_errors.GoogleAPICallError, OSError) as exc:
        log.warning(f"batch {batch_id} not submitted now: {exc}", extra={"batch": batch_id})
        return None


def submit(
    db: firestore.Client,
    settings: Settings,
    client: genai.Client,
    batch_id: str,
    now: dt.datetime | None = None,
) -> str | None:
    """The job of sealed batch `batch_id` (None: another submitter holds it, or not sealed)."""
    now = now or dt.datetime.now(dt.UTC)
    batch = lease(db, batch_id, "sealed", now, settings.batch_lease_s)
    if batch is None:
        return None
    job = find_job(client, batch_id)
    if job is None:
        found = collector.lines_of(db, batch_id)
        if len(found) != batch["count"]:
            raise RuntimeError(f"batch {batch_id} counts {batch['count']}, has {len(found)}")
        job = create(settings, client, batch_id, batch["model"], found)
        if after_create is not None:
            after_create(batch_id)
    name = job.name or ""
    db.collection(BATCHES).document(batch_id).update(
        {"state": "submitted", "job": name, "submitted_at": now, "lease_until": None}
    )
    log.info(f"batch {batch_id} submitted as {name}", extra={"batch": batch_id, "job": name})
    return name


def create(
    settings: Settings,
    client: genai.Client,
    batch_id: str,
    model: str,
    found: list[collector.Line],
) -> types.BatchJob:
    """The service's job of the lines `found`, named `batch_id`, its input written first."""
    return client.batches.create(
        model=model,
        src=_input(settings, client, batch_id, model, found),
        config=types.CreateBatchJobConfig(
            display_name=batch_id, dest=_dest(settings, client, batch_id, found)
        ),
    )


def lease(
    db: firestore.Client, batch_id: str, state: str, now: dt.datetime, lease_s: float
) -> dict[str, Any] | None:
    """Take the lease of a batch in `state` (a sealed one's submitter, an ended job's results
    reader) if nobody holds it: the batch, or None."""
    ref = db.collection(BATCHES).document(batch_id)
    taken: dict[str, Any] | None = None

    @firestore.transactional
    def take(transaction: firestore.Transaction) -> None:
        nonlocal taken
        batch = ref.get(transaction=transaction).to_dict() or {}
        held = batch.get("lease_until")
        if batch.get("state") != state or (held is not None and held > now):
            taken = None
            return
        until = now + dt.timedelta(seconds=lease_s)
        transaction.update(ref, {"lease_until": until})
        taken = batch

    take(db.transaction())
    return taken


def find_job(client: genai.Client, batch_id: str) -> types.BatchJob | None:
    """The service's job of this batch, by its display name: every page is read (the order the
    services list jobs in is not documented)."""
    for job in client.batches.list(config=types.ListBatchJobsConfig(page_size=100)):
        if job.display_name == batch_id:
            return job
    return None


def _input(
    settings: Settings,
    client: genai.Client,
    batch_id: str,
    model: str,
    found: list[collector.Line],
) -> Any:
    """The job's source, the JSONL of its lines: Vertex, an object in Cloud Storage; the Gemini
    API, a file uploaded to the Files API."""
    jsonl = "".join(lines.jsonl_line(client, model, ln.key, ln.request) + "\n" for ln in found)
    if client.vertexai:
        uri = f"{_folder(settings, batch_id, found)}/input.jsonl"
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        blob = clients.storage_client().bucket(bucket).blob(name)
        blob.upload_from_string(jsonl, content_type="application/jsonl")
        return uri
    file = client.files.upload(
        file=io.BytesIO(jsonl.encode()),
        config=types.UploadFileConfig(mime_type="jsonl", display_name=batch_id),
    )
    return file.name


def _dest(
    settings: Settings, client: genai.Client, batch_id: str, found: list[collector.Line]
) -> str | None:
    return f"{_folder(settings, batch_id, found)}/output" if client.vertexai else None


def _folder(settings: Settings, batch_id: str, found: list[collector.Line]) -> str:
    """Where a Vertex job's input and output lie: the results bucket's `batches/` folder."""
    bucket = settings.results_bucket or found[0].object["bucket"]
    return f"gs://{bucket}/{settings.output_prefix}batches/{batch_id}"
