"""A finished job's answers published as their runs' chunks (decisions 0032, 0034).

Each line's answer goes through the transcriber's own call (`call.answered`: the chunker, the
guards, a continuation when cut off, the final chunk), so the store reads a batched run exactly as
a streamed one. An answer is found by its line's key, never by its position. An ended job's
answers are read whatever its state (Vertex exports the completed rows of a job that failed). A
line that failed, or that has no answer, is added once more to the open batch (`tries` 2), then
ends its run `failed` with the service's words. A run superseded meanwhile (an overwrite) drops
its answer. Each line is marked `done` once settled, so a poll that dies midway settles only the
rest next time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from google import genai
from google.cloud import firestore
from google.genai import types

from functions.batch import collector, lines
from functions.core import clients, logs
from functions.core.documents import BATCH_LINES, BATCHES, EXPIRE_AT
from functions.core.messages import ContinueTask, MediaFile
from functions.core.settings import Settings
from functions.transcribe import call, claims
from functions.transcribe.call import Request
from functions.transcribe.claims import Claim, ClipRef
from functions.transcribe.plan import Plan
from functions.transcribe.run import Outcome, Run, StorageObject

log = logs.get_logger("batch")
ENDED = frozenset(
    {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
    }
)
RETRY_SUFFIX = "-retry"
SETTLED_KEPT = dt.timedelta(days=30)  # a settled batch and its lines, then TTL deletes them


def job_state(job: types.BatchJob) -> str:
    """The job's state, `JOB_STATE_*` (both services' names, as the SDK gives them)."""
    return job.state.value if job.state else "JOB_STATE_UNSPECIFIED"


@dataclass(frozen=True)
class Answer:
    """One output line: the response, or the service's words for its error."""

    response: types.GenerateContentResponse | None = None
    error: str | None = None


def collect(
    db: firestore.Client,
    settings: Settings,
    client: genai.Client,
    batch_id: str,
    job: types.BatchJob,
) -> dict[str, str]:
    """Settle every line of ended job `job` of batch `batch_id`: {line key: what was done}."""
    state = job_state(job)
    found = collector.lines_of(db, batch_id)
    answers = read_answers(client, job, [line.key for line in found])
    failed = None
    if state != "JOB_STATE_SUCCEEDED":
        words = job.error.message if job.error and job.error.message else state
        failed = f"the batch job ended {state.removeprefix('JOB_STATE_')}: {words}"
    done = {}
    for line in found:
        if _line_state(db, line.key) == "done":
            continue
        answer = answers.get(line.key) or Answer(error=failed or "the batch job gave no answer")
        done[line.key] = settle(db, settings, line, answer)
        db.collection(BATCH_LINES).document(line.key).update(
            {"state": "done", "outcome": done[line.key], EXPIRE_AT: _expiry()}
        )
    db.collection(BATCHES).document(batch_id).update(
        {"state": "done", "done_at": dt.datetime.now(dt.UTC), EXPIRE_AT: _expiry()}
    )
    log.info(f"batch {batch_id} settled: {state}", extra={"batch": batch_id, "lines": done})
    return done


def _expiry() -> dt.datetime:
    """When a settled batch and its lines go (Firestore's TTL): kept a while for inspection."""
    return dt.datetime.now(dt.UTC) + SETTLED_KEPT


def settle(db: firestore.Client, settings: Settings, line: collector.Line, answer: Answer) -> str:
    """Publish the line's answer as its run's, retry it once, or end the run `failed`."""
    run = _run(settings, line)
    try:
        request = _request(settings, line)
        if answer.response is not None:
            return call.answered(run, request, answer.response)
        if not claims.is_current(db, run.claim):
            return Outcome.SUPERSEDED
        if line.tries < 2:
            retry = line.model_copy(
                update={"key": line.key + RETRY_SUFFIX, "tries": line.tries + 1}
            )
            now = dt.datetime.now(dt.UTC)
            collector.add(db, settings, retry, now)
            wait_s = settings.batch_wait_s + collector.job_s(line.mode)
            until = now + dt.timedelta(seconds=wait_s)
            collector.hold(db, line.transcription_id, collector.upload_run(line), until)
            return "retried"
        reason = f"the batch service failed its request twice; the last time: {answer.error}"
        return call.answered(run, request, failed=reason)
    except claims.Superseded:
        return Outcome.SUPERSEDED


def _run(settings: Settings, line: collector.Line) -> Run:
    """The run the line answers, under a holder of the batch's own."""
    clip = ClipRef(line.clip["run_attempt"], line.clip["index"]) if line.clip else None
    holder = claims.holder_token(f"batch-{line.key}")
    claim = Claim(line.transcription_id, line.generation, line.attempt, holder, clip=clip)
    media_file = MediaFile.model_validate(line.media_file) if line.media_file else None
    return Run(settings, StorageObject.model_validate(line.object), claim, media_file=media_file)


def _request(settings: Settings, line: collector.Line) -> Request:
    """The request the line holds, as the transcriber made it: a continuation, or a run's (a
    clip's, the voices pass's) first."""
    if line.continues is not None:
        return Request.continuing(ContinueTask.model_validate(line.continues), settings)
    sends = StorageObject.model_validate(line.sends) if line.sends else None
    return Request.first(Plan.model_validate(line.plan), line.prompt, line.duration_ms, sends)


def _line_state(db: firestore.Client, key: str) -> str | None:
    return (
        db.collection(BATCH_LINES).document(key).get(field_paths=["state"]).to_dict() or {}
    ).get("state")


def read_answers(client: genai.Client, job: types.BatchJob, keys: list[str]) -> dict[str, Answer]:
    """The answers of the lines `keys` in the job's output, by key: the Gemini API's responses
    file (each line its `key`), Vertex's `predictions.jsonl` (each line its request's `label`).
    An output line naming none of `keys` is dropped; a line with no answer is absent."""
    dest = job.dest or types.BatchJobDestination()
    named: list[tuple[str | None, Answer]]
    if client.vertexai:
        by_label = {lines.label(key): key for key in keys}
        rows = _rows(_vertex_output(dest.gcs_uri)) if dest.gcs_uri else []
        named = [(by_label.get(lines.labelled(row) or ""), _vertex_answer(row)) for row in rows]
    else:
        text = client.files.download(file=dest.file_name).decode() if dest.file_name else ""
        named = [(row.get("key"), _developer_answer(row)) for row in _rows(text)]
    wanted = set(keys)
    answers = {key: answer for key, answer in named if key is not None and key in wanted}
    if len(answers) < len(named):
        log.warning(f"job {job.name}: {len(named) - len(answers)} output lines matched no line")
    return answers


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(row) for row in text.splitlines() if row.strip()]


def _developer_answer(row: dict[str, Any]) -> Answer:
    if row.get("error"):
        error = row["error"]
        return Answer(error=f"{error.get('message')} (code {error.get('code')})")
    return Answer(lines.response("developer", row.get("response") or {}))


def _vertex_answer(row: dict[str, Any]) -> Answer:
    status = row.get("status") or ""
    if status:
        try:
            error = json.loads(status).get("error") or {}
            words = f"{error.get('message')} (code {error.get('code')} {error.get('status', '')})"
        except (ValueError, AttributeError):
            words = str(status)
        return Answer(error=words)
    return Answer(lines.response("vertex", row.get("response") or {}))


def _vertex_output(directory: str) -> str:
    """The `predictions.jsonl` objects under a Vertex job's output directory, joined."""
    bucket, _, prefix = directory.removeprefix("gs://").partition("/")
    blobs = clients.storage_client().list_blobs(bucket, prefix=prefix.rstrip("/") + "/")
    return "\n".join(b.download_as_text() for b in blobs if b.name.endswith(".jsonl"))
