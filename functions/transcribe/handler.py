"""Function A: an upload becomes a Gemini call whose streamed output goes to the results topic.

Return means done (including every terminal outcome, which is published as the run's final
chunk); raising means "retry me": only transient failures that outlast the time budget raise.
The flow and the lease are here; preparing a run is in `prepare`, the call in `call`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as api_errors
from pydantic import ValidationError

from functions.core import caps, clients, logs, tasks
from functions.core.documents import TRANSCRIPTIONS, Status, transcription_id
from functions.core.messages import ClipTask, ContinueTask, ObjectTask, VoicesTask
from functions.core.settings import Settings
from functions.format.voices import duration_s, slots
from functions.transcribe import batched, call, claims, gemini, prepare
from functions.transcribe.call import Request
from functions.transcribe.claims import Claim, ClipRef, Source
from functions.transcribe.media import MediaInfo, MediaRejected
from functions.transcribe.plan import Plan, voices_plan
from functions.transcribe.prompt import build_voices_prompt
from functions.transcribe.run import (
    Outcome,
    Run,
    StorageObject,
    finish,
    give_up,
    object_gone,
)

log = logs.get_logger("transcribe")
ASK_WAIT_S, ASK_POLL_S = 5.0, 0.25  # how long a voices task waits for the store's record of it


def handle_upload(
    event_id: str, event_time: dt.datetime | None, data: dict[str, Any], settings: Settings
) -> str:
    """Process one finalize event; returns a short word on what happened (for logs and tests)."""
    try:
        obj = StorageObject.model_validate(data)
    except ValidationError as exc:
        log.error(
            "storage event without a usable object; ignored",
            extra={"event_id": event_id, "error": str(exc)},
        )
        return Outcome.MALFORMED
    if not obj.name.startswith(settings.input_prefix):
        log.info("outside the input prefix; ignored", extra={"object": obj.name})
        return Outcome.IGNORED
    tid = transcription_id(obj.bucket, obj.name)
    source = Source(
        obj.bucket, obj.name, obj.generation, obj.content_type, obj.size, _owner(obj.name, settings)
    )
    db = clients.firestore_client(settings.firestore_database)
    now = dt.datetime.now(dt.UTC)
    holder = claims.holder_token(event_id)
    try:
        claim, why = claims.claim(db, tid, source, holder, settings.lease_s, now)
    except claims.Busy as exc:
        log.info(f"{exc}; the platform retries later", extra={"transcription_id": tid})
        raise
    if claim is None:
        log.info(f"not claimed: {why}", extra={"transcription_id": tid, "event_id": event_id})
        return Outcome.SKIPPED
    log.info(f"claimed: {why}", extra={"transcription_id": tid, "attempt": claim.attempt})
    run = Run(settings, obj, claim)
    age = (now - event_time).total_seconds() if event_time else 0.0
    if age > settings.max_event_age_s:
        reason = f"event is {age:,.0f} s old; stale events are not retried"
        return finish(run, outcome=Outcome.FAILED, reason=reason)
    if claim.attempt > settings.max_attempts:
        return give_up(run)
    if source.owner is None and settings.ownerless_uploads == "reject":
        reason = f"no owner: upload under {settings.input_prefix}<owner>/ so a user can read it"
        return finish(run, outcome=Outcome.REJECTED, reason=reason)
    with claims.Heartbeat(lambda: _renew(run), settings.heartbeat_s) as heartbeat:
        run.heartbeat = heartbeat
        try:
            return _transcribe(run)
        except claims.Superseded as exc:
            log.info(f"superseded: {exc}", extra={"transcription_id": tid})
            return Outcome.SUPERSEDED


def _renew(run: Run) -> None:
    claim = run.claim
    try:
        claims.heartbeat(run.db, claim, run.settings.lease_s, dt.datetime.now(dt.UTC))
    except claims.Superseded:
        if run.claim is claim:
            raise
        # this invocation's own retry moved to the next attempt meanwhile: the next beat renews it


def _owner(name: str, settings: Settings) -> str | None:
    """`uploads/<owner>/<file>` records `<owner>`; a file directly under the prefix has none."""
    parts = name[len(settings.input_prefix) :].split("/")
    return parts[0] if len(parts) >= 2 and parts[0] else None


def _transcribe(run: Run) -> str:
    """An upload's run: probe and plan it, then one request, or one clip task per clip."""
    try:
        media, clips, plans = prepare.plans(run)
    except MediaRejected as exc:
        return finish(run, outcome=Outcome.REJECTED, reason=str(exc))
    except api_errors.NotFound:
        return object_gone(run)
    try:
        _count_usage(run, media, plans[0])
    except caps.OverCap as exc:
        return finish(run, outcome=Outcome.REJECTED, reason=str(exc))
    if clips:
        try:
            prepare.upload_once(run, plans[0])
        except gemini.TransientError as exc:
            call.hand_back(run, exc)
            raise
        except gemini.TerminalError as exc:
            return finish(run, outcome=exc.outcome, reason=exc.reason)
    prompts = prepare.prompts(run, media, clips, plans)
    fields = prepare.run_fields(run, media, clips, plans, prompts)
    batch = batched.chosen(run.obj, run.settings)
    if batch:  # its requests wait in a batch (decision 0032)
        fields |= {"status": Status.QUEUED.value, "priority": "batch"}
    claims.update_run(run.db, run.claim, fields)
    if clips:
        outcome = prepare.fan_out(run, clips, plans, prompts)
        if batch:
            batched.hold(run)
        return outcome
    return _ask(run, Request.first(plans[0], prompts[0], media.duration_ms), batch)


def _ask(run: Run, request: Request, batch: bool) -> str:
    """Call the model, or add the request to the open batch (decisions 0032, 0033)."""
    if not batch:
        return call.with_retries(run, request)
    try:
        return batched.add(run, request)
    except gemini.TransientError as exc:
        call.hand_back(run, exc, request.handover)
        raise
    except gemini.TerminalError as exc:
        return finish(run, outcome=exc.outcome, reason=exc.reason, plan=request.plan)


def _batched(run: Run) -> bool:
    """Whether a task's upload asked for batch: its document says (a task carries no
    metadata)."""
    ref = run.db.collection(TRANSCRIPTIONS).document(run.claim.transcription_id)
    return (ref.get(field_paths=["priority"]).to_dict() or {}).get("priority") == "batch"


def _count_usage(run: Run, media: MediaInfo, plan: Plan) -> None:
    """Count the upload against the daily caps before any model call (decision 0019): the
    probed (or declared) duration, else a bound from the size; `caps.OverCap` when over."""
    now = dt.datetime.now(dt.UTC)
    media_s = media.duration_s
    if media_s is None:
        media_s = run.settings.duration_bound_s(run.obj.size or 0)
    usage = caps.estimate(plan.model, media_s, media.has_video, now.date(), plan.fps)
    owner = _owner(run.obj.name, run.settings)
    tid, generation = run.claim.transcription_id, run.obj.generation
    caps.count(run.db, run.settings, tid, owner, generation, usage, now)


def handle_clip(message_id: str, task: ClipTask, settings: Settings) -> str:
    """One clip of a long upload: claimed like an upload, its output streamed to the results
    topic tagged with the clip. A terminal end (blocked, invalid) is the clip's final chunk: the
    store records a gap, not a failed transcription."""
    if _refused(task, settings, {"clip": task.index}):
        return Outcome.REFUSED
    plan = Plan.model_validate(task.plan)
    return _clip_run(
        message_id,
        task,
        task.index,
        settings,
        lambda run: _ask(run, Request.first(plan, task.prompt), _batched(run)),
    )


def handle_voices(message_id: str, task: VoicesTask, settings: Settings) -> str:
    """The voices pass of a long upload (decisions 0010, 0014): the snippets cut into a reel,
    sent as the one media part with their listing and one question, the answer streamed as clip
    `task.clips`."""
    if _refused(task, settings, {"clip": task.clips, "task": "voices"}):
        return Outcome.REFUSED
    plan = Plan.model_validate(task.plan)
    return _clip_run(message_id, task, task.clips, settings, lambda run: _voices(run, plan, task))


def _voices(run: Run, plan: Plan, task: VoicesTask) -> str:
    from functions.transcribe.reel import Unreadable  # PyAV: loaded by the voices pass only

    placed = slots(task.snippets)
    try:
        reel, has_video = prepare.cut_reel(run, placed, plan.has_video)
    except api_errors.NotFound:
        return object_gone(run)
    except Unreadable as exc:
        reason = f"could not cut the voices reel: {exc}"
        return finish(run, outcome=Outcome.FAILED, reason=reason)
    plan = voices_plan(plan, reel.content_type or "", has_video, duration_s(placed))
    prompt = build_voices_prompt(has_video, placed)
    return _ask(run, Request.first(plan, prompt, sends=reel), _batched(run))


def handle_continuation(message_id: str, task: ContinueTask, settings: Settings) -> str:
    """Go on with a cut-off run (decision 0013): take the lease its invocation handed over, ask
    for the rest of its range, publish the answer spliced onto the run's rows as the same run.
    When a delivery of this task died while it worked, the run starts over with its next
    attempt (what it published cannot be continued safely)."""
    extra = {"transcription_id": task.transcription_id, "continuation": task.number}
    if _refused(task, settings, {**extra, "task": "continue"}):
        return Outcome.REFUSED
    db = clients.firestore_client(settings.firestore_database)
    clip = ClipRef(task.upload_attempt, task.clip.index) if task.clip else None
    holder = claims.holder_token(task.handover)
    ask = Claim(task.transcription_id, task.generation, task.attempt, holder, clip=clip)
    try:
        claim, why = claims.claim_handover(
            db, ask, task.handover, settings.lease_s, dt.datetime.now(dt.UTC)
        )
    except claims.Busy as exc:
        log.info(f"{exc}; Pub/Sub redelivers later", extra=extra)
        raise
    if claim is None:
        log.info(f"continuation not claimed: {why}", extra=extra)
        return Outcome.SKIPPED

    def work(run: Run) -> str:
        if run.claim.attempt != task.attempt:
            log.warning(f"continuation: {why}; the run starts over", extra=extra)
            plan = Plan.model_validate(task.plan)
            return _ask(run, Request.first(plan, task.prompt, task.duration_ms), _batched(run))
        return _ask(run, Request.continuing(task, settings), _batched(run))

    return _under_lease(claim, task, settings, work, extra)


def _refused(task: ObjectTask, settings: Settings, extra: dict[str, Any]) -> bool:
    """Whether `task` does not match its transcription's document, logged (`refused`: the
    task's kind, for a log-based count). A voices task the store has published but not yet
    recorded (it records the ask right after publishing it) is read again for a few seconds,
    then handed back to Pub/Sub (`NotAskedYet`)."""
    db = clients.firestore_client(settings.firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(task.transcription_id)
    extra = {"transcription_id": task.transcription_id, **extra}
    deadline = time.monotonic() + ASK_WAIT_S
    while True:
        try:
            why = tasks.refusal(task, ref.get(field_paths=tasks.FIELDS).to_dict() or {})
            break
        except tasks.NotAskedYet as exc:
            if time.monotonic() > deadline:
                log.info(f"{exc}; Pub/Sub redelivers later", extra=extra)
                raise
            time.sleep(ASK_POLL_S)
    if why is not None:
        kind = extra.get("task") or "clip"
        log.warning(f"task refused: {why}", extra={**extra, "refused": kind})
    return why is not None


def _clip_run(
    message_id: str,
    task: ClipTask | VoicesTask,
    index: int,
    settings: Settings,
    work: Callable[[Run], str],
) -> str:
    """Claim clip `index` of the task's upload run with the upload's lease discipline, then do
    the work under a heartbeat; a newer run supersedes it."""
    db = clients.firestore_client(settings.firestore_database)
    clip = ClipRef(task.attempt, index)
    holder = claims.holder_token(message_id)
    tid = task.transcription_id
    try:
        claim, why = claims.claim_clip(
            db, tid, task.generation, clip, holder, settings.lease_s, dt.datetime.now(dt.UTC)
        )
    except claims.Busy as exc:
        log.info(f"{exc}; Pub/Sub redelivers later", extra={"transcription_id": tid})
        raise
    extra = {"transcription_id": tid, "clip": index}
    if claim is None:
        log.info(f"clip not claimed: {why}", extra=extra)
        return Outcome.SKIPPED
    return _under_lease(claim, task, settings, work, extra)


def _under_lease(
    claim: Claim,
    task: ObjectTask,
    settings: Settings,
    work: Callable[[Run], str],
    extra: dict[str, Any],
) -> str:
    """Do a claimed clips-topic task's work under a heartbeat; a newer run supersedes it."""
    obj = StorageObject(
        bucket=task.bucket,
        name=task.name,
        generation=task.generation,
        content_type=task.content_type,
        size=task.size,
    )
    run = Run(settings, obj, claim, media_file=task.media_file)
    if claim.attempt > settings.max_attempts:
        return give_up(run)
    with claims.Heartbeat(lambda: _renew(run), settings.heartbeat_s) as heartbeat:
        run.heartbeat = heartbeat
        try:
            return work(run)
        except claims.Superseded as exc:
            log.info(f"superseded: {exc}", extra=extra)
            return Outcome.SUPERSEDED
