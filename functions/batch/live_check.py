"""`python -m functions live-check --batch`: batch mode's request on the real service. The live
check's single run is sent once more as a one-line batch job, made as batch mode makes one
(decisions 0032, 0034): its line (the Gemini API's uploaded JSONL file; Vertex's JSONL object in
Cloud Storage, the key in the request's labels), the job created and followed until it ends, its
answer found by its key in the job's output and read as the transcriber reads one. A job that has
not ended within the wait is cancelled, and its row says so: the service aims at 24 hours.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import TextIO

from google import genai
from google.genai import errors, types

from functions.batch import collector, lines, results, submit
from functions.core.catalog import catalog
from functions.core.settings import Settings
from functions.transcribe import gemini
from functions.transcribe.live_check import (
    MAX_USD,
    SAMPLE,
    Answer,
    Ask,
    Check,
    ceiling_usd,
    read,
    row,
)

WAIT_S = 30 * 60.0  # how long the check follows its job
POLL_S = 10.0


def run(
    settings: Settings,
    sample: Path = SAMPLE,
    max_usd: float = MAX_USD,
    wait_s: float = WAIT_S,
    out: TextIO = sys.stdout,
    poll_s: float = POLL_S,
) -> int:
    """The batch row of the live check: 0 when the job's answer was found and finished, 2 when
    nothing was sent (it could cost more than `max_usd`)."""
    check = Check(settings, sample, None, out)
    ceiling = ceiling_usd([check.single], not check.media.has_video)
    if ceiling is None or ceiling * catalog().batch_price_share > max_usd:
        check.say(f"batch: could cost more than the cap of US${max_usd:g}: nothing sent")
        return 2
    check.say(f"batch: one line, followed for at most {wait_s / 60:g} min")
    try:
        uri = check.put(sample.read_bytes(), sample.name, check.single.plan.mime_type)
        answer = ask_in_batch(check, uri, wait_s, poll_s)
    finally:
        check.close()
    check.say(row(answer))
    return 0 if answer.accepted else 1


def ask_in_batch(check: Check, uri: str, wait_s: float, poll_s: float) -> Answer:
    """The single run's request as a one-line job: the answer found by its key, or why not."""
    ask, client, settings = check.single, check.client, check.settings
    key = f"live-check-{uuid.uuid4().hex[:12]}"
    answer, started = Answer("batch"), time.monotonic()
    try:
        job = submit.create(settings, client, key, ask.plan.model, [line(settings, key, ask, uri)])
        job = until_ended(client, job, started + wait_s, poll_s)
        answer.seconds = round(time.monotonic() - started, 1)
        state = results.job_state(job)
        if state not in results.ENDED:
            client.batches.cancel(name=job.name or "")
            answer.refusal = f"{job.name} still {state} after {wait_s:g} s: cancelled"
            return answer
        found = results.read_answers(client, job, [key]).get(key)
    except errors.APIError as exc:
        answer.status, answer.refusal = str(exc.code), str(exc)
        return answer
    if found is None or found.response is None:
        why = found.error if found else f"no output line of {job.name} carries the key"
        answer.status, answer.refusal = state.removeprefix("JOB_STATE_"), why
        return answer
    chunks, result = list[str](), gemini.StreamResult()
    gemini.read(found.response, result, chunks.append)
    answer.status = "200"
    return read(answer, ask, result, "".join(chunks))


def line(settings: Settings, key: str, ask: Ask, uri: str) -> collector.Line:
    """The line batch mode would add for `ask` on the media at `uri`."""
    parts = gemini.parts(uri, ask.plan, ask.prompt)
    return collector.Line(
        key=key,
        transcription_id="live-check",
        generation="0",
        attempt=1,
        object={"bucket": settings.results_bucket, "name": uri},
        plan=ask.plan.model_dump(),
        prompt=ask.prompt,
        request=lines.stored(parts, gemini.generation_config(ask.plan, settings.gemini_mode)),
        mode=settings.gemini_mode,
        model=ask.plan.model,
        location=ask.plan.location,
    )


def until_ended(
    client: genai.Client, job: types.BatchJob, deadline: float, poll_s: float
) -> types.BatchJob:
    """The job as last read: ended, or still going at `deadline`."""
    while True:
        if results.job_state(job) in results.ENDED or time.monotonic() + poll_s > deadline:
            return job
        time.sleep(poll_s)
        job = client.batches.get(name=job.name or "")
