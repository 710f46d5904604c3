"""Function A: an upload becomes a Gemini call whose streamed output goes to the results topic.

Return means done (including every terminal outcome, which is published as the run's final
chunk); raising means "retry me": only transient failures that outlast the time budget raise.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from google.api_core import exceptions as api_errors
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.core import clients, logs
from functions.core.catalog import catalog
from functions.core.documents import transcription_id
from functions.core.messages import (
    ClipTag,
    ClipTask,
    ContinueTask,
    MediaFile,
    ObjectTask,
    Usage,
    VoicesTask,
)
from functions.core.settings import Settings
from functions.format.models import Issue
from functions.format.parser import ParserState
from functions.format.voices import Slot, duration_s, slots
from functions.transcribe import claims, gemini
from functions.transcribe.chunks import Chunk, Chunker, RepetitionLoop
from functions.transcribe.claims import Claim, ClipRef, Source
from functions.transcribe.clips import ClipRange, plan_for
from functions.transcribe.continuation import (
    CONTINUED,
    CUT_REASONS,
    Stream,
    continuation_plan,
    continuation_prompt,
    stopped_issue,
    within_limits,
)
from functions.transcribe.media import MediaInfo, MediaRejected, check_size, probe
from functions.transcribe.plan import (
    Overrides,
    Plan,
    make_plan,
    parse_overrides,
    segment_range,
    voices_plan,
    with_declared_duration,
)
from functions.transcribe.prompt import build_prompt, build_voices_prompt
from functions.transcribe.publisher import RunPublisher

log = logs.get_logger("transcribe")
PROBE_CHUNK_BYTES = 256 * 1024
MIN_CALL_S = 20.0  # don't start a model call with less time than this left
MAX_BACKOFF_S = 30.0
PUBLISH_TIMEOUT_S = 30.0
LATE_START = 0.25  # a retry started after this share of the budget is retried, not cut off


class StorageObject(BaseModel):
    """The data of a `google.cloud.storage.object.v1.finalized` event (the fields we use)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    bucket: str = Field(min_length=1)
    name: str = Field(min_length=1)
    generation: str = Field(pattern=r"^[0-9]{1,20}$", coerce_numbers_to_str=True)
    content_type: str | None = Field(default=None, alias="contentType")
    size: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class OutputCapped(Exception):
    """The output passed `max_output_chars`."""


class BudgetSpent(Exception):
    """The time budget ran out while the model was still writing."""


@dataclass
class Run:
    """One invocation's work on one claimed object."""

    settings: Settings
    obj: StorageObject
    claim: Claim
    started: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)
    retries: int = 0  # model calls retried in this invocation
    heartbeat: claims.Heartbeat | None = None
    media_file: MediaFile | None = None  # Developer API: the Files API copy requests send

    @property
    def deadline(self) -> float:
        return self.started + self.settings.time_budget_s

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


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
        return "malformed"
    if not obj.name.startswith(settings.input_prefix):
        log.info("outside the input prefix; ignored", extra={"object": obj.name})
        return "ignored"
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
        return "skipped"
    log.info(f"claimed: {why}", extra={"transcription_id": tid, "attempt": claim.attempt})
    run = Run(settings, obj, claim)
    age = (now - event_time).total_seconds() if event_time else 0.0
    if age > settings.max_event_age_s:
        return _finish(
            run, outcome="failed", reason=f"event is {age:,.0f} s old; stale events are not retried"
        )
    if claim.attempt > settings.max_attempts:
        return _give_up(run)
    if source.owner is None and settings.ownerless_uploads == "reject":
        reason = f"no owner: upload under {settings.input_prefix}<owner>/ so a user can read it"
        return _finish(run, outcome="rejected", reason=reason)
    with claims.Heartbeat(lambda: _renew(run), settings.heartbeat_s) as heartbeat:
        run.heartbeat = heartbeat
        try:
            return _transcribe(run)
        except claims.Superseded as exc:
            log.info(f"superseded: {exc}", extra={"transcription_id": tid})
            return "superseded"


def _renew(run: Run) -> None:
    claim = run.claim
    db = clients.firestore_client(run.settings.firestore_database)
    try:
        claims.heartbeat(db, claim, run.settings.lease_s, dt.datetime.now(dt.UTC))
    except claims.Superseded:
        if run.claim is claim:
            raise
        # this invocation's own retry moved to the next attempt meanwhile: the next beat renews it


def _give_up(run: Run) -> str:
    tries = run.settings.max_attempts
    last = run.claim.last_error or "unknown"
    return _finish(
        run, outcome="failed", reason=f"gave up after {tries} attempts; the last: {last}"
    )


def _owner(name: str, settings: Settings) -> str | None:
    """`uploads/<owner>/<file>` records `<owner>`; a file directly under the prefix has none."""
    parts = name[len(settings.input_prefix) :].split("/")
    return parts[0] if len(parts) >= 2 and parts[0] else None


def _transcribe(run: Run) -> str:
    settings = run.settings
    try:
        overrides = parse_overrides(run.obj.metadata, settings.allowed_models)
        media = with_declared_duration(_probe(run), overrides)
        clips = _clips(media, overrides, settings)
        plans = [_plan(media, overrides, settings, clip) for clip in clips] or [
            _plan(media, overrides, settings, None)
        ]
    except MediaRejected as exc:
        return _finish(run, outcome="rejected", reason=str(exc))
    except api_errors.NotFound:
        return _object_gone(run)
    fields = {"model": plans[0].model, "plan": plans[0].model_dump(), **_media_fields(run, media)}
    if clips and settings.gemini_mode == "developer":  # one upload for every clip (decision 0016)
        try:
            _media_uri(run, gemini.client(settings, plans[0].location), plans[0])
        except gemini.TransientError as exc:
            _hand_back(run, exc)
            raise
        except gemini.TerminalError as exc:
            return _finish(run, outcome=exc.outcome, reason=exc.reason)
        fields["media_file"] = run.media_file.model_dump(mode="json") if run.media_file else None
    if clips:
        fields["clips"] = {
            "count": len(clips),
            "ranges": [clip.model_dump() for clip in clips],
            "clip_s": settings.clip_s,
            "overlap_s": settings.clip_overlap_s,
        }
        fields["progress"] = {"segments": 0, "fraction": 0.0, "clips": len(clips), "clips_done": 0}
    db = clients.firestore_client(settings.firestore_database)
    claims.update_run(db, run.claim, fields)
    if clips:
        return _fan_out(run, media, clips, plans)
    prompt = build_prompt(media.duration_s, media.has_video, run.obj.metadata)
    return _call_with_retries(run, plans[0], prompt, media.duration_ms)


def _clips(media: MediaInfo, overrides: Overrides, settings: Settings) -> list[ClipRange]:
    """The clip plan of the requested range (the whole media, or the uploader's start to end):
    clips past the threshold, or past what the model takes in one prompt."""
    start, end = segment_range(media.duration_s, overrides)
    if end is None:
        return []
    model = catalog().get(overrides.model or settings.model)
    most_s = model.limits.media_s(media.has_video, media.has_audio) if model else math.inf
    ranges = plan_for(end - start, settings, most_s)
    offset = round(start * 1000)
    return [
        clip.model_copy(update={"start_ms": clip.start_ms + offset, "end_ms": clip.end_ms + offset})
        for clip in ranges
    ]


def _plan(
    media: MediaInfo, overrides: Overrides, settings: Settings, clip: ClipRange | None
) -> Plan:
    """The request plan of the whole range, or of one clip of it (at the whole range's media
    resolution: clipping changes neither what the model sees nor the cost per second)."""
    whole_s = None
    if clip is not None:
        start, end = segment_range(media.duration_s, overrides)
        whole_s = None if end is None else end - start
        to_the_end = media.duration_ms is not None and clip.end_ms >= media.duration_ms
        clip_end = None if to_the_end else f"{clip.end_s:g}"  # no rounding past the end
        overrides = overrides.model_copy(update={"start": f"{clip.start_s:g}", "end": clip_end})
    return make_plan(
        media, settings.model, overrides, settings.gemini_mode, settings.location, whole_s
    )


def _media_fields(run: Run, media: MediaInfo) -> dict[str, Any]:
    return {
        "duration_ms": media.duration_ms,
        "has_video": media.has_video,
        "has_audio": media.has_audio,
        "media": {
            "container": media.container,
            "mime_type": media.mime_type,
            "declared_type": run.obj.content_type,
            "probe_bytes": media.bytes_read,
        },
    }


def _fan_out(run: Run, media: MediaInfo, clips: list[ClipRange], plans: list[Plan]) -> str:
    """A long upload: one message per clip on the clips topic; each clip is its own run."""
    publisher = clients.publisher()
    topic = publisher.topic_path(run.settings.project, run.settings.clips_topic)
    futures = []
    for clip, plan in zip(clips, plans, strict=True):
        task = ClipTask(
            transcription_id=run.claim.transcription_id,
            bucket=run.obj.bucket,
            name=run.obj.name,
            generation=run.obj.generation,
            attempt=run.claim.attempt,
            index=clip.index,
            clips=len(clips),
            start_ms=clip.start_ms,
            end_ms=clip.end_ms,
            content_type=run.obj.content_type,
            size=run.obj.size,
            media_file=run.media_file,
            plan=plan.model_dump(),
            prompt=build_prompt(plan.duration_s, media.has_video, run.obj.metadata),
            published_at=dt.datetime.now(dt.UTC),
        )
        body = task.model_dump_json(exclude_none=True).encode()
        futures.append(publisher.publish(topic, body, **task.attributes()))
    for future in futures:
        future.result(timeout=PUBLISH_TIMEOUT_S)
    _mark_finished(run)
    log.info(
        f"fanned out into {len(clips)} clips",
        extra={"transcription_id": run.claim.transcription_id, "attempt": run.claim.attempt},
    )
    return "fanned out"


def handle_clip(message_id: str, task: ClipTask, settings: Settings) -> str:
    """One clip of a long upload: claimed like an upload, its output streamed to the results
    topic tagged with the clip. A terminal end (blocked, invalid) is the clip's final chunk: the
    store records a gap, not a failed transcription."""
    plan = Plan.model_validate(task.plan)
    return _clip_run(
        message_id,
        task,
        task.index,
        settings,
        lambda run: _call_with_retries(run, plan, task.prompt),
    )


def handle_voices(message_id: str, task: VoicesTask, settings: Settings) -> str:
    """The voices pass of a long upload (decisions 0010, 0014): the snippets cut into a reel,
    sent as the one media part with their listing and one question, the answer streamed as clip
    `task.clips`."""
    plan = Plan.model_validate(task.plan)
    return _clip_run(message_id, task, task.clips, settings, lambda run: _voices(run, plan, task))


def _voices(run: Run, plan: Plan, task: VoicesTask) -> str:
    from functions.transcribe.reel import Unreadable  # PyAV: loaded by the voices pass only

    placed = slots(task.snippets)
    try:
        reel, has_video = _cut_reel(run, placed, plan.has_video)
    except api_errors.NotFound:
        return _object_gone(run)
    except Unreadable as exc:
        return _finish(run, outcome="failed", reason=f"could not cut the voices reel: {exc}")
    plan = voices_plan(plan, reel.content_type or "", has_video, duration_s(placed))
    prompt = build_voices_prompt(has_video, placed)
    return _call_with_retries(run, plan, prompt, sends=reel)


def _cut_reel(run: Run, placed: list[Slot], with_video: bool) -> tuple[StorageObject, bool]:
    """Cut the reel from the source's ranges and write it under the output prefix: the object
    written, and whether it has a picture."""
    from functions.transcribe import reel

    started = time.monotonic()
    out = io.BytesIO()
    with _blob(run.obj).open("rb", chunk_size=PROBE_CHUNK_BYTES) as reader:
        kind = reel.cut(reader, placed, with_video, out)
    settings, claim = run.settings, run.claim
    name = f"{settings.output_prefix}{claim.transcription_id}/voices-{claim.attempt}"
    name += f".{kind.extension}"
    bucket = clients.storage_client().bucket(settings.results_bucket or run.obj.bucket)
    blob = bucket.blob(name)
    blob.upload_from_string(out.getvalue(), content_type=kind.mime_type)
    written = StorageObject(
        bucket=bucket.name,
        name=name,
        generation=str(blob.generation),
        contentType=kind.mime_type,
        size=out.tell(),
    )
    run.timings["reel_s"] = round(time.monotonic() - started, 3)
    log.info(
        f"voices reel of {len(placed)} snippets, {duration_s(placed)} s, {out.tell():,} bytes",
        extra={"transcription_id": claim.transcription_id, "reel": f"gs://{bucket.name}/{name}"},
    )
    return written, kind is reel.VIDEO


def handle_continuation(message_id: str, task: ContinueTask, settings: Settings) -> str:
    """Go on with a cut-off run (decision 0013): take the lease its invocation handed over, ask
    for the rest of its range, publish the answer spliced onto the run's rows as the same run.
    When a delivery of this task died while it worked, the run starts over with its next
    attempt (what it published cannot be continued safely)."""
    db = clients.firestore_client(settings.firestore_database)
    clip = ClipRef(task.upload_attempt, task.clip.index) if task.clip else None
    holder = claims.holder_token(task.handover)
    ask = Claim(task.transcription_id, task.generation, task.attempt, holder, clip=clip)
    extra = {"transcription_id": task.transcription_id, "continuation": task.number}
    try:
        claim, why = claims.claim_handover(
            db, ask, task.handover, settings.lease_s, dt.datetime.now(dt.UTC)
        )
    except claims.Busy as exc:
        log.info(f"{exc}; Pub/Sub redelivers later", extra=extra)
        raise
    if claim is None:
        log.info(f"continuation not claimed: {why}", extra=extra)
        return "skipped"

    def work(run: Run) -> str:
        if run.claim.attempt != task.attempt:
            log.warning(f"continuation: {why}; the run starts over", extra=extra)
            plan = Plan.model_validate(task.plan)
            return _call_with_retries(run, plan, task.prompt, task.duration_ms)
        plan = continuation_plan(task, settings)
        prompt = continuation_prompt(task, plan)
        return _call_with_retries(run, plan, prompt, task.duration_ms, task=task)

    return _under_lease(claim, task, settings, work, extra)


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
        return "skipped"
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
        return _give_up(run)
    with claims.Heartbeat(lambda: _renew(run), settings.heartbeat_s) as heartbeat:
        run.heartbeat = heartbeat
        try:
            return work(run)
        except claims.Superseded as exc:
            log.info(f"superseded: {exc}", extra=extra)
            return "superseded"


def _object_gone(run: Run) -> str:
    """The event's generation cannot be read: a newer generation's event takes over; with none,
    the object was deleted and the transcription ends here."""
    current = clients.storage_client().bucket(run.obj.bucket).get_blob(run.obj.name)
    if current is not None and int(current.generation) > int(run.obj.generation):
        log.info(
            "object overwritten; the newer generation's event takes over",
            extra={"transcription_id": run.claim.transcription_id},
        )
        return "superseded"
    return _finish(run, outcome="failed", reason="the object was deleted before it could be read")


def _blob(obj: StorageObject) -> Any:
    """The object's generation (reads fail with NotFound once it is overwritten)."""
    bucket = clients.storage_client().bucket(obj.bucket)
    return bucket.blob(obj.name, generation=int(obj.generation))


def _probe(run: Run) -> MediaInfo:
    started = time.monotonic()
    check_size(run.obj.size)  # before any read: empty and oversize files are rejected at once
    with _blob(run.obj).open("rb", chunk_size=PROBE_CHUNK_BYTES) as reader:
        media = probe(reader, run.obj.content_type, run.obj.size)
    run.timings["probe_s"] = round(time.monotonic() - started, 3)
    log.info(
        "probed",
        extra={
            "transcription_id": run.claim.transcription_id,
            "container": media.container,
            "mime_type": media.mime_type,
            "declared_type": run.obj.content_type,
            "duration_s": media.duration_s,
            "bytes_read": media.bytes_read,
        },
    )
    return media


def _call_with_retries(
    run: Run,
    plan: Plan,
    prompt: str,
    duration_ms: int | None = None,
    task: ContinueTask | None = None,
    sends: StorageObject | None = None,
) -> str:
    """Call the model, retrying transient failures inside the budget. `duration_ms`: the
    media's, for the parser's checks (None for a clip: the merge checks its range); `task`: this
    request continues a cut-off run (a retry keeps the run's attempt: its rows stay); `sends`:
    the object the request sends, when not the run's own (`_media_uri`; the voices pass's reel,
    whose answer is a table, not a transcript to continue). A single run's Files API copy, and
    a reel's, is deleted once the request ends (decision 0016)."""
    client = gemini.client(run.settings, plan.location)
    delay = 1.0
    outcome, handed_over = None, False
    try:
        while True:
            try:
                parts = gemini.parts(_media_uri(run, client, plan, sends), plan, prompt)
                goes_on = sends is None
                outcome = _call(run, client, plan, (parts, prompt), duration_ms, task, goes_on)
                return outcome
            except gemini.TransientError as exc:
                pause = random.uniform(0, delay) if exc.retry_after_s is None else exc.retry_after_s
                delay = min(delay * 2, MAX_BACKOFF_S)
                if run.claim.attempt >= run.settings.max_attempts:
                    run.claim = replace(run.claim, last_error=str(exc))
                    return _give_up(run)
                if not exc.in_process or time.monotonic() + pause + MIN_CALL_S > run.deadline:
                    _hand_back(run, exc, task)
                    handed_over = task is not None  # the task's retry brings the file along
                    raise
                log.warning(
                    f"transient failure; retrying in {pause:.1f} s: {exc}",
                    extra={
                        "transcription_id": run.claim.transcription_id,
                        "attempt": run.claim.attempt,
                    },
                )
                time.sleep(pause)
                run.retries += 1
                if task is None:  # a new run: the store drops what the failed stream published
                    db = clients.firestore_client(run.settings.firestore_database)
                    run.claim = claims.next_attempt(
                        db, run.claim, run.settings.lease_s, dt.datetime.now(dt.UTC)
                    )
            except gemini.TerminalError as exc:
                return _finish(
                    run, outcome=exc.outcome, reason=exc.reason, plan=plan, duration_ms=duration_ms
                )
    finally:
        if outcome != CONTINUED and not handed_over:
            _release(run, client)


def _hand_back(run: Run, exc: Exception, task: ContinueTask | None = None) -> None:
    """Raise for a platform retry with the lease released, so the retry takes over at once (a
    continuation's, handed over to the retry of its task)."""
    log.warning(
        f"transient failure; the platform retries: {exc}",
        extra={"transcription_id": run.claim.transcription_id},
    )
    try:
        db = clients.firestore_client(run.settings.firestore_database)
        now = dt.datetime.now(dt.UTC)
        if task is None:
            claims.release(db, run.claim, str(exc), now)
        else:
            claims.hand_over(db, run.claim, task.handover, 0, now)
    except api_errors.GoogleAPICallError as error:  # the lease then expires by itself
        log.warning(f"could not release the lease: {error}")


def _media_uri(run: Run, client: Any, plan: Plan, sends: StorageObject | None = None) -> str:
    """What the request names its media by: the object it sends (`sends`, else the run's own) as
    gs:// on Vertex; on the Developer API that object's Files API copy, `run.media_file` while it
    is usable for this request, else a new upload that becomes `run.media_file` (decision 0016)."""
    obj = sends or run.obj
    if run.settings.gemini_mode != "developer":
        return f"gs://{obj.bucket}/{obj.name}"
    file = run.media_file
    if file is None or not _usable(client, file, obj, run.settings.time_budget_s):
        file = run.media_file = _upload(run, client, plan, obj)
    return file.uri


def _usable(client: Any, file: MediaFile, obj: StorageObject, budget_s: float) -> bool:
    """`file` holds `obj`, outlives a whole request budget, and the Files API still has it
    ACTIVE (not deleted, expired or FAILED)."""
    lasts = file.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=budget_s)
    return file.source == _source(obj) and lasts and gemini.is_active(client, file.name)


def _upload(run: Run, client: Any, plan: Plan, obj: StorageObject) -> MediaFile:
    started = time.monotonic()
    with _blob(obj).open("rb", chunk_size=8 * 1024 * 1024) as reader:
        file = gemini.upload(client, reader, plan.mime_type, obj.name, run.deadline)
    run.timings["upload_s"] = round(time.monotonic() - started, 3)
    expires = file.expiration_time or dt.datetime.now(dt.UTC) + gemini.FILE_LIFETIME
    return MediaFile(
        name=file.name or "", uri=file.uri or "", expires_at=expires, source=_source(obj)
    )


def _source(obj: StorageObject) -> str:
    return f"gs://{obj.bucket}/{obj.name}#{obj.generation}"


def _release(run: Run, client: Any) -> None:
    """A request's end: a single run's Files API copy goes, and so does a reel's (a clip's copy
    of the source is the fanned-out run's, shared with the other clips: it expires by itself)."""
    file = run.media_file
    if file is not None and (run.claim.clip is None or file.source != _source(run.obj)):
        gemini.delete_file(client, file.name)
        run.media_file = None


def _call(
    run: Run,
    client: Any,
    plan: Plan,
    request: tuple[list[Any], str],
    duration_ms: int | None,
    task: ContinueTask | None = None,
    goes_on: bool = True,
) -> str:
    """One streamed request (`request`: its parts and its prompt); `task`: it continues a run.
    A cut-off output goes on in a continuation while the limits allow (decision 0013), unless
    `goes_on` is false."""
    settings = run.settings
    parts, prompt = request
    chunker = Chunker(
        settings.flush_rows,
        settings.flush_interval_s,
        None if task else duration_ms,  # a continuation's own timecodes: the splice checks them
        loop_repeats=settings.loop_repeats,
    )
    stream = Stream(plan, task)
    publisher = RunPublisher(settings, run.claim, run.obj.bucket, task.seq if task else 0)
    started = time.monotonic()

    def publish(chunk: Chunk) -> None:
        out = stream.publishable(chunk)
        if out.text:
            publisher.publish(out)

    def on_text(text: str) -> None:
        if "first_text_s" not in run.timings:
            run.timings["first_text_s"] = round(time.monotonic() - started, 3)
        try:
            chunks, loop = chunker.feed(text), None
        except RepetitionLoop as caught:
            chunks, loop = caught.due, caught
        for chunk in chunks:
            _check_current(run)  # a superseded run stops streaming: nobody reads it
            publish(chunk)
        if loop is not None:
            raise loop
        if chunker.chars > settings.max_output_chars:
            raise OutputCapped()
        if time.monotonic() > run.deadline and result.finish_reason is None:
            raise BudgetSpent()

    result = gemini.StreamResult()
    issues: list[Issue] = []
    try:
        gemini.stream(client, plan, parts, on_text, result, run.deadline - started)
        outcome, reason = gemini.outcome(result)
    except RepetitionLoop as loop:
        result.finish_reason, issues = "REPETITION_LOOP", [loop.issue]
        outcome, reason = "completed", f"{loop}; cut off"
    except OutputCapped:
        result.finish_reason = "OUTPUT_CAP"
        cap = settings.max_output_chars
        outcome, reason = "completed", f"the output passed the {cap:,}-character cap; cut off"
    except BudgetSpent:
        late = run.retries and started - run.started > settings.time_budget_s * LATE_START
        if late and not (goes_on and settings.continuations):
            # earlier attempts spent the budget: a platform retry gets all of it
            raise gemini.TransientError("the time budget ran out on a late retry") from None
        # a continuation goes on in a new invocation, with the whole budget
        result.finish_reason = "TIME_BUDGET"
        budget = settings.time_budget_s
        outcome, reason = "completed", f"the {budget:g} s time budget ran out; cut off"
    except gemini.TransientError as exc:
        if task is None or publisher.seq == task.seq:
            raise  # nothing of it published: retried
        result.finish_reason = "INTERRUPTED"  # its rows are the run's: go on from them
        outcome, reason = "completed", f"{exc}; cut off"
    except gemini.TerminalError as exc:
        outcome, reason = exc.outcome, exc.reason
        if task is not None:  # the run keeps what it has
            message = f"continuation {task.number} failed: {reason}"
            outcome, issues = "completed", [Issue(code="continuation_failed", message=message)]
    run.timings["model_s"] = round(time.monotonic() - started, 3)
    usage = Usage.total([task.usage if task else None, _usage(result)])
    issues = [*(task.issues if task else []), *issues]
    cut = result.finish_reason in CUT_REASONS and not chunker.parser.complete
    if cut and goes_on and settings.continuations:
        publish(chunker.cut())
        why = reason or str(result.finish_reason)
        asked = (plan, prompt, duration_ms)
        found = [*issues, *stream.issues()]
        handed = _go_on(run, asked, (stream, publisher.seq), task, why, usage, found)
        if handed is None:
            return CONTINUED
        issues.append(handed)
    whole = chunker.parser.complete  # before `finish`: the model closed both tables
    final = stream.final(chunker.finish(), whole)
    issues += stream.issues()
    run.timings["total_s"] = run.elapsed()
    publisher.publish(
        final,
        outcome=outcome,
        reason=reason,
        finish_reason=result.finish_reason,
        usage=usage,
        model=result.model_version or plan.model,
        plan=task.plan if task else plan.model_dump(),
        duration_ms=duration_ms,
        timings=run.timings | ({"continuations": float(task.number)} if task else {}),
        issues=issues[:10] or None,
    )
    _mark_finished(run)
    log.info(
        f"published {publisher.seq} chunk(s); {outcome}",
        extra={
            "transcription_id": run.claim.transcription_id,
            "finish_reason": result.finish_reason,
            "usage": usage.model_dump() if usage else None,  # every request of the run
        },
    )
    return outcome


def _usage(result: gemini.StreamResult) -> Usage | None:
    return Usage.model_validate(result.usage) if result.usage else None


def _go_on(
    run: Run,
    request: tuple[Plan, str, int | None],
    published: tuple[Stream, int],
    task: ContinueTask | None,
    why: str,
    usage: Usage | None,
    issues: list[Issue],
) -> Issue | None:
    """Hand the cut-off run over to its continuation: None once it is, else why the run stops
    (the limits, or a range of unknown length)."""
    (plan, prompt, duration_ms), (stream, seq) = request, published
    cut = stream.cut()
    settings = run.settings
    if cut is None:  # a media of unknown length
        return Issue(code="continuation_stopped", message=f"the output was cut off ({why})")
    claim = run.claim
    following = ContinueTask(
        transcription_id=claim.transcription_id,
        bucket=run.obj.bucket,
        name=run.obj.name,
        generation=claim.generation,
        attempt=claim.attempt,
        clip=ClipTag(index=claim.clip.index, attempt=claim.attempt) if claim.clip else None,
        upload_attempt=claim.run_attempt,
        content_type=run.obj.content_type,
        size=run.obj.size,
        media_file=run.media_file,
        plan=task.plan if task else plan.model_dump(),
        prompt=task.prompt if task else prompt,
        duration_ms=task.duration_ms if task else duration_ms,
        number=task.number + 1 if task else 1,
        stalls=0,
        seq=seq,
        cut=cut,
        why=why[:1000],
        usage=usage,
        issues=issues[:10],
        published_at=dt.datetime.now(dt.UTC),
    )
    checked = within_limits(settings, following, task)
    if checked is None:
        return stopped_issue(cut, task, settings, why)
    db = clients.firestore_client(settings.firestore_database)
    claims.hand_over(db, claim, checked.handover, settings.lease_s, dt.datetime.now(dt.UTC))
    publisher = clients.publisher()
    topic = publisher.topic_path(settings.project, settings.clips_topic)
    body = checked.model_dump_json(exclude_none=True).encode()
    publisher.publish(topic, body, **checked.attributes()).result(timeout=PUBLISH_TIMEOUT_S)
    log.info(
        f"cut off ({why}); continuation {checked.number} from {cut.point_ms} ms",
        extra={"transcription_id": claim.transcription_id, "seq": seq},
    )
    return None


def _check_current(run: Run) -> None:
    db = clients.firestore_client(run.settings.firestore_database)
    if (run.heartbeat and run.heartbeat.superseded) or not claims.is_current(db, run.claim):
        raise claims.Superseded("a newer run took the transcription over")


def _finish(
    run: Run,
    *,
    outcome: str,
    reason: str,
    plan: Plan | None = None,
    duration_ms: int | None = None,
) -> str:
    """A run that ends without model output: publish its final (and only) chunk."""
    run.timings["total_s"] = run.elapsed()
    RunPublisher(run.settings, run.claim, run.obj.bucket).publish(
        Chunk(ParserState(), "", 0),
        outcome=outcome,
        reason=reason,
        plan=plan.model_dump() if plan else None,
        duration_ms=duration_ms,
        timings=run.timings,
    )
    _mark_finished(run)
    log.warning(f"{outcome}: {reason}", extra={"transcription_id": run.claim.transcription_id})
    return outcome


def _mark_finished(run: Run) -> None:
    """The final chunk is out: a duplicate of this event must not call the model again. Best
    effort: raising now would make the platform retry this event, whose lease lets it call the
    model again; without the mark, the lease still keeps out other events until it expires."""
    try:
        claims.mark_finished(clients.firestore_client(run.settings.firestore_database), run.claim)
    except api_errors.GoogleAPICallError as exc:
        log.warning(
            f"could not mark the run finished: {exc}",
            extra={"transcription_id": run.claim.transcription_id},
        )
