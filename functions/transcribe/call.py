"""The call: one request of a run streamed from the model to the results topic, retried with
backoff inside the time budget, a cut-off output handed over to its continuation (decision
0013), and the Files API copy it sends (decision 0016)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from google.api_core import exceptions as api_errors

from functions.core import clients, logs
from functions.core.messages import ClipTag, ContinueTask, MediaFile, Usage
from functions.core.settings import Settings
from functions.format.models import Issue
from functions.transcribe import claims, gemini
from functions.transcribe.chunks import Chunk, Chunker, RepetitionLoop
from functions.transcribe.continuation import (
    CUT_REASONS,
    Stream,
    continuation_plan,
    continuation_prompt,
    stopped_issue,
    within_limits,
)
from functions.transcribe.plan import Plan
from functions.transcribe.publisher import PUBLISH_TIMEOUT_S, RunPublisher
from functions.transcribe.run import (
    Outcome,
    Run,
    StorageObject,
    blob,
    finish,
    give_up,
    mark_finished,
)

log = logs.get_logger("transcribe")
MIN_CALL_S = 20.0  # don't start a model call with less time than this left
MAX_BACKOFF_S = 30.0
LATE_START = 0.25  # a retry started after this share of the budget is retried, not cut off


class OutputCapped(Exception):
    """The output passed `max_output_chars`."""


class BudgetSpent(Exception):
    """The time budget ran out while the model was still writing."""


@dataclass(frozen=True)
class Request:
    """One request of a run, and where the run stands when it starts: a run's first request,
    or a continuation that goes on from where the run was cut off."""

    plan: Plan  # what this request asks for
    prompt: str
    duration_ms: int | None  # the media's (None for a clip: the merge checks its range)
    run_plan: dict[str, Any]  # the plan and prompt of the run's first request: what the run
    run_prompt: str  # records, and what each continuation goes on from
    checks_ms: int | None  # the duration the chunker checks timecodes against
    sends: StorageObject | None = None  # when not the run's own object (the voices reel)
    continues: ContinueTask | None = None  # the task of the continuation it answers
    seq: int = 0  # the number of its first chunk
    usage: Usage | None = None  # of the run's requests so far
    issues: tuple[Issue, ...] = ()  # found so far
    number: int = 0  # of continuations made before it

    @classmethod
    def first(
        cls,
        plan: Plan,
        prompt: str,
        duration_ms: int | None = None,
        sends: StorageObject | None = None,
    ) -> Request:
        """A run's first request (`sends`: the voices pass's reel, whose answer is a table, not a
        transcript to continue)."""
        return cls(
            plan=plan,
            prompt=prompt,
            duration_ms=duration_ms,
            run_plan=plan.model_dump(),
            run_prompt=prompt,
            checks_ms=duration_ms,
            sends=sends,
        )

    @classmethod
    def continuing(cls, task: ContinueTask, settings: Settings) -> Request:
        """The rest of a cut-off run's range; its own timecodes are checked by the splice."""
        plan = continuation_plan(task, settings)
        return cls(
            plan=plan,
            prompt=continuation_prompt(task, plan),
            duration_ms=task.duration_ms,
            run_plan=task.plan,
            run_prompt=task.prompt,
            checks_ms=None,
            continues=task,
            seq=task.seq,
            usage=task.usage,
            issues=tuple(task.issues),
            number=task.number,
        )

    @property
    def handover(self) -> str | None:
        """The token a continuation's lease goes back to its task's retry with."""
        return self.continues.handover if self.continues else None

    @property
    def keeps_rows(self) -> bool:
        """What it publishes is the run's at once: a retry keeps the run's attempt, a stream that
        fails after publishing goes on from its rows, and the lease goes to the task's retry."""
        return self.continues is not None

    @property
    def goes_on(self) -> bool:
        """A cut-off output goes on in a continuation (a reel's answer does not)."""
        return self.sends is None


def with_retries(run: Run, request: Request) -> str:
    """Call the model, retrying transient failures inside the budget. A single run's Files API
    copy, and a reel's, is deleted once the request ends (decision 0016)."""
    client = gemini.client(run.settings, request.plan.location)
    delay = 1.0
    outcome, handed_over = None, False
    try:
        while True:
            try:
                outcome = _call(run, client, request)
                return outcome
            except gemini.TransientError as exc:
                pause = random.uniform(0, delay) if exc.retry_after_s is None else exc.retry_after_s
                delay = min(delay * 2, MAX_BACKOFF_S)
                if run.claim.attempt >= run.settings.max_attempts:
                    run.claim = replace(run.claim, last_error=str(exc))
                    return give_up(run)
                if not exc.in_process or time.monotonic() + pause + MIN_CALL_S > run.deadline:
                    hand_back(run, exc, request.handover)
                    handed_over = request.keeps_rows  # the task's retry brings the file along
                    raise
                _pause(run, exc, pause)
                if not request.keeps_rows:  # a new run: the store drops what the stream published
                    now = dt.datetime.now(dt.UTC)
                    run.claim = claims.next_attempt(run.db, run.claim, run.settings.lease_s, now)
            except gemini.TerminalError as exc:
                return finish(
                    run,
                    outcome=exc.outcome,
                    reason=exc.reason,
                    plan=request.plan,
                    duration_ms=request.duration_ms,
                )
    finally:
        if outcome != Outcome.CONTINUED and not handed_over:
            _release(run, client)


def _pause(run: Run, exc: gemini.TransientError, pause: float) -> None:
    log.warning(
        f"transient failure; retrying in {pause:.1f} s: {exc}",
        extra={"transcription_id": run.claim.transcription_id, "attempt": run.claim.attempt},
    )
    time.sleep(pause)
    run.retries += 1


def hand_back(run: Run, exc: Exception, handover: str | None = None) -> None:
    """Raise for a platform retry with the lease released, so the retry takes over at once (a
    continuation's, handed over to the retry of its task by the task's `handover` token)."""
    log.warning(
        f"transient failure; the platform retries: {exc}",
        extra={"transcription_id": run.claim.transcription_id},
    )
    try:
        now = dt.datetime.now(dt.UTC)
        if handover is None:
            claims.release(run.db, run.claim, str(exc), now)
        else:
            claims.hand_over(run.db, run.claim, handover, 0, now)
    except api_errors.GoogleAPICallError as error:  # the lease then expires by itself
        log.warning(f"could not release the lease: {error}")


def media_uri(
    run: Run,
    client: Any,
    plan: Plan,
    sends: StorageObject | None = None,
    needed_s: float | None = None,
) -> str:
    """What the request names its media by: the object it sends (`sends`, else the run's own) as
    gs:// on Vertex; on the Developer API that object's Files API copy, `run.media_file` while it
    is usable for this request (for `needed_s`, else a time budget), else a new upload that
    becomes `run.media_file` (decision 0016)."""
    obj = sends or run.obj
    if run.settings.gemini_mode != "developer":
        return f"gs://{obj.bucket}/{obj.name}"
    file = run.media_file
    if file is None or not _usable(client, file, obj, needed_s or run.settings.time_budget_s):
        file = run.media_file = _upload(run, client, plan, obj)
    return file.uri


def _usable(client: Any, file: MediaFile, obj: StorageObject, budget_s: float) -> bool:
    """`file` holds `obj`, outlives a whole request budget, and the Files API still has it
    ACTIVE (not deleted, expired or FAILED)."""
    lasts = file.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=budget_s)
    return file.source == _source(obj) and lasts and gemini.is_active(client, file.name)


def _upload(run: Run, client: Any, plan: Plan, obj: StorageObject) -> MediaFile:
    started = time.monotonic()
    with blob(obj).open("rb", chunk_size=8 * 1024 * 1024) as reader:
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


def answered(run: Run, request: Request, response: Any = None, failed: str | None = None) -> str:
    """A batch job's answer to the run's request (decision 0032), published as a stream's would
    be: the same chunks, guards, continuation and final chunk; `failed`: the service's words for
    a request it failed for good, which ends the run `failed` as a terminal error of a stream
    does (a continuation's run keeps its rows). The run's Files API copy goes when the run ends,
    as after a call."""

    def read(on_text: Callable[[str], None], result: gemini.StreamResult) -> None:
        if response is None:
            raise gemini.TerminalError(Outcome.FAILED, failed or "the batch job gave no answer")
        try:
            gemini.read(response, result, on_text)
        except gemini.TransientError as exc:  # an answer without a finish reason: no retry
            raise gemini.TerminalError(Outcome.FAILED, f"the batch job's answer: {exc}") from exc

    client = gemini.client(run.settings, request.plan.location)
    outcome: str = Outcome.SUPERSEDED
    try:
        outcome = _call(run, client, request, read)
        return outcome
    finally:
        if outcome != Outcome.CONTINUED:
            _release(run, client)


Answer = Callable[[Callable[[str], None], gemini.StreamResult], None]


def _call(run: Run, client: Any, request: Request, answer: Answer | None = None) -> str:
    """One streamed request (or `answer`: a batch job's, read as a stream). A cut-off output
    goes on in a continuation while the limits allow (decision 0013)."""
    settings, plan = run.settings, request.plan
    if answer is None:
        parts = gemini.parts(media_uri(run, client, plan, request.sends), plan, request.prompt)
        deadline = run.deadline

        def answer(on_text: Callable[[str], None], result: gemini.StreamResult) -> None:
            gemini.stream(client, plan, parts, on_text, result, deadline - time.monotonic())

    chunker = Chunker(
        settings.flush_rows,
        settings.flush_interval_s,
        request.checks_ms,
        loop_repeats=settings.loop_repeats,
    )
    stream = Stream(plan, request.continues)
    publisher = RunPublisher(settings, run.claim, run.obj.bucket, request.seq)
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
        answer(on_text, result)
        outcome, reason = gemini.outcome(result)
    except RepetitionLoop as loop:
        result.finish_reason, issues = "REPETITION_LOOP", [loop.issue]
        outcome, reason = Outcome.COMPLETED, f"{loop}; cut off"
    except OutputCapped:
        result.finish_reason = "OUTPUT_CAP"
        cap = settings.max_output_chars
        outcome, reason = Outcome.COMPLETED, f"the output passed the {cap:,}-character cap; cut off"
    except BudgetSpent:
        late = run.retries and started - run.started > settings.time_budget_s * LATE_START
        if late and not (request.goes_on and settings.continuations):
            # earlier attempts spent the budget: a platform retry gets all of it
            raise gemini.TransientError("the time budget ran out on a late retry") from None
        # a continuation goes on in a new invocation, with the whole budget
        result.finish_reason = "TIME_BUDGET"
        budget = settings.time_budget_s
        outcome, reason = Outcome.COMPLETED, f"the {budget:g} s time budget ran out; cut off"
    except gemini.TransientError as exc:
        if not request.keeps_rows or publisher.seq == request.seq:
            raise  # nothing of it published: retried
        result.finish_reason = "INTERRUPTED"  # its rows are the run's: go on from them
        outcome, reason = Outcome.COMPLETED, f"{exc}; cut off"
    except gemini.TerminalError as exc:
        outcome, reason = exc.outcome, exc.reason
        if request.keeps_rows:  # the run keeps what it has
            message = f"continuation {request.number} failed: {reason}"
            issues = [Issue(code="continuation_failed", message=message)]
            outcome = Outcome.COMPLETED
    run.timings["model_s"] = round(time.monotonic() - started, 3)
    usage = Usage.total([request.usage, _usage(result)])
    issues = [*request.issues, *issues]
    cut = result.finish_reason in CUT_REASONS and not chunker.parser.complete
    if cut and request.goes_on and settings.continuations:
        publish(chunker.cut())
        why = reason or str(result.finish_reason)
        handed = _go_on(
            run, request, stream, publisher.seq, why, usage, [*issues, *stream.issues()]
        )
        if handed is None:
            return Outcome.CONTINUED
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
        plan=request.run_plan,
        duration_ms=request.duration_ms,
        timings=run.timings | ({"continuations": float(request.number)} if request.number else {}),
        issues=issues[:10] or None,
    )
    mark_finished(run)
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
    request: Request,
    stream: Stream,
    seq: int,
    why: str,
    usage: Usage | None,
    issues: list[Issue],
) -> Issue | None:
    """Hand the cut-off run over to its continuation, which starts at chunk `seq`: None once it
    is, else why the run stops (the limits, or a range of unknown length)."""
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
        plan=request.run_plan,
        prompt=request.run_prompt,
        duration_ms=request.duration_ms,
        number=request.number + 1,
        stalls=0,
        seq=seq,
        cut=cut,
        why=why[:1000],
        usage=usage,
        issues=issues[:10],
        published_at=dt.datetime.now(dt.UTC),
    )
    checked = within_limits(settings, following, request.continues)
    if checked is None:
        return stopped_issue(cut, request.continues, settings, why)
    now = dt.datetime.now(dt.UTC)
    claims.hand_over(run.db, claim, checked.handover, settings.lease_s, now)
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
    if (run.heartbeat and run.heartbeat.superseded) or not claims.is_current(run.db, run.claim):
        raise claims.Superseded("a newer run took the transcription over")
