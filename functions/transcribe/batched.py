"""Batch mode (decisions 0032, 0033): an upload that asks for it (`priority=batch` metadata, or a
folder of `TABSCRIBE_BATCH_PREFIXES`) is probed and planned as usual; then each of its requests
(the run's, each clip's, the voices pass's, each continuation's) is not sent but added to the
open batch, exactly as the standard path would send it. The answer comes back through
`functions.batch` as the run's chunks."""

from __future__ import annotations

import datetime as dt

from functions.batch import collector, lines, submit
from functions.core import logs
from functions.core.settings import Settings
from functions.transcribe import gemini
from functions.transcribe.call import Request, media_uri
from functions.transcribe.plan import parse_overrides
from functions.transcribe.run import Outcome, Run, StorageObject, mark_finished

log = logs.get_logger("transcribe")


def chosen(obj: StorageObject, settings: Settings) -> bool:
    """Whether the upload goes to the batch service: its `priority` metadata, else whether it
    lies in a batch folder of its owner's (or of the input prefix)."""
    asked = parse_overrides(obj.metadata, settings.allowed_models).priority
    if asked is not None:
        return asked == "batch"
    rest = obj.name[len(settings.input_prefix) :]
    owned = rest.partition("/")[2]
    return any(rest.startswith(p) or owned.startswith(p) for p in settings.batch_prefixes)


def add(run: Run, request: Request) -> str:
    """Add the request to the open batch instead of calling the model; the run is then done
    here (`finished_runs`: a duplicate event calls no model). A batch this add sealed is
    submitted at once (best effort: the scheduled poll submits what is left sealed)."""
    settings, plan, claim = run.settings, request.plan, run.claim
    client = gemini.client(settings, plan.location)
    # The Files API copy must last while the batch waits and its job runs: the wait and the
    # service's 24 h target (its SLO), not a job's longest life (48 h, as long as the Files API
    # keeps a file: no fresh copy would do). A job past its target may find the copy gone.
    needed_s = settings.batch_wait_s + collector.TURNAROUND_S
    uri = media_uri(run, client, plan, request.sends, needed_s)
    parts = gemini.parts(uri, plan, request.prompt)
    gemini.check_limits(settings.gemini_mode, plan, parts)
    clip = None
    if claim.clip is not None:
        clip = {"run_attempt": claim.clip.run_attempt, "index": claim.clip.index}
    tid, generation, attempt = claim.transcription_id, claim.generation, claim.attempt
    line = collector.Line(
        key=collector.line_key(tid, generation, attempt, clip, request.number),
        transcription_id=tid,
        generation=generation,
        attempt=attempt,
        clip=clip,
        object=run.obj.model_dump(by_alias=True),
        plan=request.run_plan,
        prompt=request.run_prompt,
        duration_ms=request.duration_ms,
        media_file=run.media_file.model_dump(mode="json") if run.media_file else None,
        sends=request.sends.model_dump(by_alias=True) if request.sends else None,
        continues=request.continues.model_dump(mode="json") if request.continues else None,
        request=lines.stored(parts, gemini.generation_config(plan, settings.gemini_mode)),
        mode=settings.gemini_mode,
        model=plan.model,
        location=plan.location,
    )
    batch_id, sealed = collector.add(run.db, settings, line, dt.datetime.now(dt.UTC))
    mark_finished(run)
    if claim.clip is None:  # a fanned-out run's document is held by its fan-out
        hold(run)
    if sealed:
        submit.try_submit(run.db, settings, client, batch_id)
    return Outcome.QUEUED


def hold(run: Run) -> None:
    """The transcription waits on its batch: its lease outlasts the batch's wait and its job."""
    wait_s = run.settings.batch_wait_s + collector.job_s(run.settings.gemini_mode)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait_s)
    run_ref = {"generation": run.claim.generation, "attempt": run.claim.run_attempt}
    collector.hold(run.db, run.claim.transcription_id, run_ref, until)
