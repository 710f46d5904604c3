"""A cut-off run goes on in a continuation (decision 0013): what one invocation publishes of the
run's output, where the run stands when it is cut, and the task that goes on from there.

The run's first request publishes the model's own lines; a continuation publishes its answer
spliced onto them (`functions.format.splice`). Either way `Stream` keeps the rows it published,
so a cut knows its continuation point, the run's voices and the rows the next prompt shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from functions.core.messages import ContinueTask
from functions.core.settings import Settings
from functions.format.merge import EDGE_TOLERANCE_MS, reading
from functions.format.models import Issue, Segment
from functions.format.parser import ParserState, StreamParser
from functions.format.splice import Cut, Splice, Writer
from functions.format.tables import clock
from functions.transcribe.chunks import Chunk
from functions.transcribe.plan import Plan, reestimated
from functions.transcribe.prompt import MAX_EARLIER_CHARS, build_continuation_prompt

# how a cut-off output ends (INTERRUPTED: a continuation's stream failed after it published rows)
CUT_REASONS = frozenset(
    {"MAX_TOKENS", "OUTPUT_CAP", "TIME_BUDGET", "REPETITION_LOOP", "INTERRUPTED"}
)


def media_start_ms(plan: Plan) -> int:
    """Where the request's media part starts in the media."""
    return round((plan.start_s or 0) * 1000)


def run_range(plan: Plan) -> tuple[int, int] | None:
    """The part of the media a run transcribes (media time), None when its length is unknown."""
    if plan.duration_s is None:
        return None
    start = media_start_ms(plan)
    return start, start + round(plan.duration_s * 1000)


def with_hours(plan: Plan) -> bool:
    return plan.timecode_format == "H:MM:SS"


class Stream:
    """What this invocation publishes of a run's output (`task`: as its continuation)."""

    def __init__(self, plan: Plan, task: ContinueTask | None) -> None:
        self.task = task
        self.range = (task.cut.start_ms, task.cut.end_ms) if task else run_range(plan)
        self.rows: list[Segment] = []  # published in this invocation, the run's timecodes
        self.state = task.cut.state if task else ParserState()  # after the last published line
        self.splice: Splice | None = None
        self.writer: Writer | None = None
        if task is not None:
            self.splice = Splice(task.cut, media_start_ms(plan))
            self.writer = Writer(task.cut.state, with_hours(plan))

    def publishable(self, chunk: Chunk) -> Chunk:
        """The chunk to publish for the model's `chunk` (its text may be empty: nothing yet)."""
        if self.splice is None or self.writer is None:
            self._record(chunk)
            return chunk
        rows = StreamParser(state=chunk.state).feed(chunk.text)
        out = Chunk(*self.writer.write(self.splice.feed(rows)), 0)
        self._record(out)
        return out

    def final(self, chunk: Chunk, whole: bool) -> Chunk:
        """The run's final chunk for the model's last `chunk`; `whole`: the model ended its
        answer with both tables closed, so a continuation closes the run's tables too."""
        if self.splice is None or self.writer is None:
            return chunk
        rows = StreamParser(state=chunk.state).feed(chunk.text, final=True)
        state, text = self.writer.write(self.splice.feed(rows))
        text += self.writer.write(self.splice.finish())[1]
        if whole:
            text += self.writer.close()[1]
        return Chunk(state, text, 0)

    def _record(self, chunk: Chunk) -> None:
        parser = StreamParser(state=chunk.state)
        self.rows += [row for row in parser.feed(chunk.text) if type(row) is Segment]
        self.state = parser.state()

    # -- a cut ----------------------------------------------------------------------------

    def cut(self) -> Cut | None:
        """Where the run stands now (None: its range is unknown, it cannot go on)."""
        if self.range is None:
            return None
        start, end = self.range
        before = self.task.cut if self.task else None
        offset = before.offset_ms if before else self._offset(start, end)
        rows = [*(before.rows if before else []), *_media_time(self.rows, offset)]
        fitting = [r.start_ms for r in rows if start - EDGE_TOLERANCE_MS <= r.start_ms <= end]
        point = max([before.point_ms if before else start, *fitting])
        voices = {
            *(before.voices if before else []),
            *(r.voice for r in rows if r.voice is not None),
        }
        return Cut(
            start_ms=start,
            end_ms=end,
            offset_ms=offset,
            point_ms=point,
            rows=_latest(rows),
            voices=sorted(voices),
            state=self.state,
        )

    def _offset(self, start: int, end: int) -> int:
        """A first request's timecodes: relative to its range or absolute (merge rule 2)."""
        return start if reading([r.start_ms for r in self.rows], start, end) == "relative" else 0

    def issues(self) -> list[Issue]:
        return self.splice.issues if self.splice else []


def _media_time(rows: Sequence[Segment], offset: int) -> list[Segment]:
    return [row.model_copy(update={"start_ms": row.start_ms + offset}) for row in rows]


def _latest(rows: list[Segment]) -> list[Segment]:
    """The last rows that fit the next prompt's data block."""
    size, n = 0, len(rows)
    while n and size + len(rows[n - 1].text) + 16 <= MAX_EARLIER_CHARS:
        n -= 1
        size += len(rows[n].text) + 16
    return rows[n:]


def progressed(cut: Cut, before: Cut | None) -> bool:
    """Whether the run got further than its last cut: a later point, or its transcript closed."""
    if before is None:
        return True
    return cut.point_ms > before.point_ms or cut.transcript_closed > before.transcript_closed


def within_limits(
    settings: Settings, task: ContinueTask, previous: ContinueTask | None
) -> ContinueTask | None:
    """`task`, its stalls counted, or None when the run must stop: `continuations` made, or
    `continuation_stalls` in a row that got no further."""
    before = previous.cut if previous else None
    stalls = 0 if progressed(task.cut, before) else (previous.stalls if previous else 0) + 1
    if task.number > settings.continuations or stalls >= settings.continuation_stalls:
        return None
    return task.model_copy(update={"stalls": stalls})


def stopped_issue(cut: Cut, task: ContinueTask | None, settings: Settings, why: str) -> Issue:
    """Why the run ends with the rest of its range missing."""
    made = task.number if task else 0
    message = (
        f"the output was cut off ({why}); {clock(cut.point_ms)} to {clock(cut.end_ms)} may be "
        f"missing: {made} continuation(s) made (at most {settings.continuations}; it stops "
        f"after {settings.continuation_stalls} in a row that get no further)"
    )
    return Issue(code="continuation_stopped", message=message[:2000])


def continuation_prompt(task: ContinueTask, plan: Plan) -> str:
    cut = task.cut
    return build_continuation_prompt(
        task.prompt, media_start_ms(plan), cut.point_ms, cut.rows, with_hours(plan)
    )


def continuation_plan(task: ContinueTask, settings: Settings) -> Plan:
    """The run's plan with its media from a little before the continuation point."""
    cut = task.cut
    return resume_at(
        Plan.model_validate(task.plan),
        cut.start_ms,
        cut.point_ms,
        cut.end_ms,
        settings.continuation_overlap_s,
    )


def resume_at(plan: Plan, start_ms: int, point_ms: int, end_ms: int, overlap_s: float) -> Plan:
    """`plan` for its range (`start_ms` to `end_ms`, media time) from `overlap_s` before
    `point_ms`, in whole seconds (as clips: `MM:SS` timecodes land exactly)."""
    begin = max(start_ms, point_ms - round(overlap_s * 1000))
    begin -= begin % 1000
    resumed = {"start_s": begin / 1000, "duration_s": (end_ms - begin) / 1000}
    return reestimated(plan.model_copy(update=resumed))
