"""An enrichment task (`task=enrich`, decision 0026), start to end: checked against the document,
claimed under a lease with a heartbeat, the completed run's transcript read, the requests built
and sent, the answers parsed, recorded (`record`).

Return means done: recorded `completed` or `failed` (a model refusal, an answer with no usable
row, a request over the limits), or nothing to do. Raising means "retry me": a transient failure
that outlasts the time budget hands the lease back first. The transcription's status is never
changed here.
"""

from __future__ import annotations

import datetime as dt
import time
from enum import StrEnum

from google.cloud import firestore

from functions.core import clients, logs, tasks
from functions.core.documents import TRANSCRIPTIONS
from functions.core.messages import EnrichTask, Usage
from functions.core.settings import Settings
from functions.enrich import chapters, translation
from functions.enrich.ask import Answer, Request, ask_all
from functions.enrich.prompt import Row, input_tokens
from functions.enrich.record import Job, announce, record
from functions.enrich.result import Result
from functions.enrich.transcript import Transcript, read
from functions.transcribe import claims, gemini
from functions.transcribe.claims import EnrichmentRef
from functions.transcribe.media import MediaRejected
from functions.transcribe.plan import Plan, text_plan

log = logs.get_logger("enrich")


class Outcome(StrEnum):
    """What an invocation did (for logs and tests)."""

    REFUSED = "refused"  # the task does not match its document (`tasks.not_asked`)
    SKIPPED = "skipped"  # not claimed: a duplicate (the enrichment ended), or another holds it
    SUPERSEDED = "superseded"  # the document no longer takes this enrichment
    ANNOUNCED = "announced"  # ended before: only its event was still to publish
    COMPLETED = "completed"
    FAILED = "failed"


def handle_enrichment(message_id: str, task: EnrichTask, settings: Settings) -> str:
    """One enrichment of a completed run; returns a short word on what happened."""
    db = clients.firestore_client(settings.firestore_database)
    extra = {"transcription_id": task.transcription_id, "enrichment": task.enrichment}
    doc = db.collection(TRANSCRIPTIONS).document(task.transcription_id).get().to_dict() or {}
    why = tasks.not_asked(task, doc)
    if why is not None:
        log.warning(f"task refused: {why}", extra={**extra, "refused": "enrich"})
        return Outcome.REFUSED
    done = tasks.ended(task, doc)
    if done is not None:  # a duplicate delivery of an enrichment that has ended
        entry = (doc.get("enrichments") or {}).get(task.enrichment) or {}
        if entry.get("published") is False:  # recorded, and its delivery died before the event
            announce(db, task, entry)
            log.info(f"{done}; its event published now", extra=extra)
            return Outcome.ANNOUNCED
        log.info(f"not claimed: {done}", extra=extra)
        return Outcome.SKIPPED
    claim = take(db, message_id, task, settings)
    if claim is None:
        return Outcome.SKIPPED
    job = Job(db, settings, task, claim, doc)

    def renew() -> None:
        claims.heartbeat(db, claim, settings.lease_s, dt.datetime.now(dt.UTC))

    with claims.Heartbeat(renew, settings.heartbeat_s):
        try:
            return enrich(job)
        except claims.Superseded as exc:
            log.info(f"superseded: {exc}", extra=extra)
            return Outcome.SUPERSEDED


def take(
    db: firestore.Client, message_id: str, task: EnrichTask, settings: Settings
) -> claims.Claim | None:
    """The enrichment's claim (`enrichments/{generation}-{attempt}-{name}`), or None."""
    part = EnrichmentRef(task.attempt, task.enrichment)
    holder = claims.holder_token(message_id)
    now = dt.datetime.now(dt.UTC)
    extra = {"transcription_id": task.transcription_id, "enrichment": task.enrichment}
    try:
        claim, why = claims.claim_clip(
            db, task.transcription_id, task.generation, part, holder, settings.lease_s, now
        )
    except claims.Busy as exc:
        log.info(f"{exc}; Pub/Sub redelivers later", extra=extra)
        raise
    if claim is None:
        log.info(f"enrichment not claimed: {why}", extra=extra)
    return claim


def enrich(job: Job) -> str:
    """The claimed enrichment's work: read, ask, parse, record."""
    if job.claim.attempt > job.settings.max_attempts:
        reason = f"gave up after {job.claim.attempt - 1} attempts: {job.claim.last_error}"
        return finish(job, Result.failed(reason), None, 0)
    transcript = read(job.ref, job.doc, job.run)
    if not transcript.pages:
        return finish(job, Result.failed("the run's transcript has no pages"), None, 0)
    try:
        asked, requests = _requests(job, transcript)
    except MediaRejected as exc:
        return finish(job, Result.failed(f"request not sent: {exc}"), None, 0)
    deadline = time.monotonic() + job.settings.time_budget_s
    client = gemini.client(job.settings, requests[0].plan.location)
    answers = ask_all(client, requests, job.settings.enrich_parallel, deadline)
    usage = Usage.total(a.usage for a in answers if isinstance(a, Answer))
    for error in answers:
        if isinstance(error, gemini.TransientError):
            _hand_back(job, error)
            raise error
    return finish(job, _result(job, transcript, asked, answers), usage, len(requests))


def _requests(job: Job, transcript: Transcript) -> tuple[list[list[Row]], list[Request]]:
    """The rows each request asks about and the requests (MediaRejected: over the limits)."""

    def plan_for(prompt: str) -> Plan:
        mode = job.settings.gemini_mode
        tokens = input_tokens(prompt)
        duration_s = None if transcript.duration_ms is None else transcript.duration_ms / 1000
        return text_plan(job.model, mode, job.settings.location, tokens, duration_s)

    if job.lang is None:
        return [transcript.rows], chapters.requests(transcript, plan_for)
    limit = plan_for("").max_output_tokens
    parts = translation.parts(transcript, job.settings.enrich_part_rows, limit)
    return parts, translation.requests(transcript, job.lang, parts, plan_for)


def _result(
    job: Job, transcript: Transcript, asked: list[list[Row]], answers: list[Answer | Exception]
) -> Result:
    """The parsed answers, or why the enrichment failed: a refused request or answer."""
    for answer in answers:
        if isinstance(answer, gemini.TerminalError):
            return Result.failed(answer.reason)
        if isinstance(answer, Answer) and answer.outcome != "completed":
            return Result.failed(answer.reason or answer.outcome)
    given = [a for a in answers if isinstance(a, Answer)]
    if job.lang is None:
        return chapters.result(transcript, given[0])
    return translation.result(transcript, asked, given)


def finish(job: Job, result: Result, usage: Usage | None, requests: int) -> str:
    """Record the result; the outcome word."""
    why = record(job, result, usage, requests)
    if why is not None:
        extra = {"transcription_id": job.task.transcription_id, "enrichment": job.name}
        log.info(f"not recorded: {why}", extra=extra)
        return Outcome.SUPERSEDED
    return Outcome.COMPLETED if result.completed else Outcome.FAILED


def _hand_back(job: Job, exc: Exception) -> None:
    """The lease released, so the platform's retry takes over at once."""
    log.warning(
        f"transient failure; the platform retries: {exc}",
        extra={"transcription_id": job.task.transcription_id, "enrichment": job.name},
    )
    claims.release(job.db, job.claim, str(exc), dt.datetime.now(dt.UTC))
