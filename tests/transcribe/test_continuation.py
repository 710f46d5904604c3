"""Cut-off runs go on (decision 0013): the upload's invocation hands a run cut by MAX_TOKENS, a
repetition loop or the time budget over to a continuation task on the clips topic, and
`transcribe_clip` splices the rest onto it. Real emulators, the stand-in (which answers a
continuation from the authored rows, docs/standin.md) and both functions served by
functions-framework; the run's chunks are read as the store reads them, each from its state."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from functions.core.messages import ContinueTask, ResultChunk
from functions.core.settings import get_settings
from functions.format.models import Segment, Speaker
from functions.format.parser import StreamParser
from standin.authored import Row, authored_from_json
from standin.authored import Speaker as AuthoredSpeaker
from tests.paths import ROOT
from tests.store.support import cloud_event
from tests.transcribe.conftest import BOTH_MODES, Stack, clip_function, pull

pytestmark = pytest.mark.emulator

KEYNOTE = ROOT / "samples" / "keynote.mp4"  # 10:13.5, one request, 218 authored rows
KEYNOTE_ANSWER = json.loads((ROOT / "standin" / "responses" / "keynote.json").read_text())
AUTHORED = authored_from_json(KEYNOTE_ANSWER["rows"], KEYNOTE_ANSWER["speakers"])
ROWS = AUTHORED.rows


@dataclass
class Continuing:
    stack: Stack
    app: Any  # transcribe_clip
    subscription: str

    def upload(self, faults: list[dict[str, Any]]) -> Any:
        blob = self.stack.bucket.blob("uploads/jo/keynote.mp4")
        blob.upload_from_filename(str(KEYNOTE), content_type="video/mp4")
        self.stack.stand_in.configure(faults=faults)
        return self.stack.bucket.get_blob(blob.name)

    def tasks(self) -> list[ContinueTask]:
        """The continuation tasks the invocations that returned handed over."""
        messages = pull(self.subscription)
        assert all(message.attributes["task"] == "continue" for message in messages)
        return [ContinueTask.model_validate_json(message.data) for message in messages]

    def run(self, task: ContinueTask, message_id: str = "1") -> int:
        headers = {"Content-Type": "application/cloudevents+json"}
        body = cloud_event(task, message_id)
        return int(self.app.post("/", json=body, headers=headers).status_code)

    def follow(self, blob: Any) -> tuple[list[ResultChunk], list[ContinueTask]]:
        """Deliver the upload, then every continuation it hands over, until the run ends."""
        assert self.stack.deliver(blob) == 200
        done: list[ContinueTask] = []
        while (tasks := self.tasks()) and len(done) < 10:
            for task in tasks:
                assert self.run(task, f"m{task.number}") == 200
                done.append(task)
        return self.stack.results(), done


@pytest.fixture
def continuing(stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str) -> Iterator[Continuing]:
    app, subscription = clip_function(monkeypatch, unique, TABSCRIBE_CONTINUATIONS="3")
    yield Continuing(stack, app, subscription)
    get_settings.cache_clear()


def read_run(chunks: list[ResultChunk]) -> tuple[list[Segment], list[Speaker], bool]:
    """The run's rows and whether its output is whole, each chunk parsed alone from its state."""
    assert [c.seq for c in chunks] == list(range(len(chunks))), "one run, every chunk once"
    segments, speakers, complete = [], [], False
    for chunk in chunks:
        parser = StreamParser(state=chunk.state)
        for row in parser.feed(chunk.text or "", final=chunk.final):
            (segments if isinstance(row, Segment) else speakers).append(row)
        complete = parser.complete
    return segments, speakers, complete


def rows(segments: Sequence[Segment | Row]) -> list[tuple[int, int | None, str]]:
    return [(s.start_ms, s.voice, s.text) for s in segments]


def who(speakers: Sequence[Speaker | AuthoredSpeaker]) -> list[tuple[Any, ...]]:
    return sorted((s.voice, s.name, s.company, s.position, s.role) for s in speakers)


def check_whole(chunks: list[ResultChunk]) -> ResultChunk:
    segments, speakers, complete = read_run(chunks)
    assert rows(segments) == rows(ROWS)  # every row, once
    assert who(speakers) == who(AUTHORED.speakers)  # names survive the cut
    assert complete
    final = chunks[-1]
    assert final.final and final.outcome == "completed" and final.finish_reason == "STOP"
    return final


@BOTH_MODES
def test_a_max_tokens_cut_halfway_continues_with_every_row_once(continuing: Continuing) -> None:
    blob = continuing.upload([{"max_tokens_at_row": 109, "times": 1}])
    chunks, tasks = continuing.follow(blob)
    final = check_whole(chunks)
    (task,) = tasks
    assert task.number == 1 and "output token limit" in task.why
    assert task.cut.point_ms == ROWS[108].start_ms  # row 109's start
    first, second = continuing.stack.model_calls()
    start = (ROWS[108].start_ms - 20_000) // 1000  # 20 s before, on a whole second
    assert "clip" not in first and second["continuation"]["start_s"] == start
    assert final.usage and final.usage.output_tokens == sum(
        call["usage"]["candidatesTokenCount"] for call in (first, second)
    )
    assert final.timings and final.timings["continuations"] == 1


def test_a_loop_at_row_50_is_stopped_and_the_rest_continues(continuing: Continuing) -> None:
    blob = continuing.upload([{"loop_from_row": 50, "token_rate": 2000, "times": 1}])
    chunks, tasks = continuing.follow(blob)
    final = check_whole(chunks)
    assert [issue.code for issue in final.issues or []] == ["repetition_loop"]
    looping = continuing.stack.model_calls()[0]
    assert looping["tokens_sent"] < 200 * 20  # stopped within 200 repeated rows (~15 tokens each)
    assert tasks[0].cut.point_ms == ROWS[49].start_ms


def test_a_stream_cut_by_the_time_budget_continues_in_a_new_invocation(
    continuing: Continuing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABSCRIBE_TIME_BUDGET_S", "3")
    monkeypatch.setenv("TABSCRIBE_FLUSH_ROWS", "50")  # the continuation's rows in a few chunks
    get_settings.cache_clear()
    blob = continuing.upload([{"token_rate": 500, "times": 1}])  # about 7 s for the answer
    chunks, tasks = continuing.follow(blob)
    check_whole(chunks)
    (task,) = tasks
    assert "time budget" in task.why and task.seq > 0
    assert [c.final for c in chunks].count(True) == 1


def test_a_continuation_that_gets_no_further_stops_with_the_gap_recorded(
    continuing: Continuing,
) -> None:
    # every call stops after 3 rows: the continuations, from 0 s (20 s before), add nothing
    blob = continuing.upload([{"max_tokens_at_row": 3}])
    chunks, tasks = continuing.follow(blob)
    assert [t.number for t in tasks] == [1, 2]
    segments, _, complete = read_run(chunks)
    assert not complete and len(segments) == len({s.start_ms for s in segments})  # no repeats
    final = chunks[-1]
    codes = [issue.code for issue in final.issues or []]
    assert codes == ["continuation_stopped"] and final.finish_reason == "MAX_TOKENS"


def test_rows_past_the_end_never_move_the_continuation_point(continuing: Continuing) -> None:
    """The rule for rows past the end: a run's are kept, with an issue (the parser's
    `past_media_end`), and the point stays at the last row that fits; a continuation's, outside
    the run's range, are dropped with an issue on the final chunk."""
    past_end = {"timecodes_past_end": 3, "times": 1}
    blob = continuing.upload([{"max_tokens_at_row": 218, **past_end}, past_end])
    chunks, tasks = continuing.follow(blob)
    assert tasks[0].cut.point_ms == ROWS[214].start_ms  # not the 3 rows past the end
    segments, _, _ = read_run(chunks)
    assert [s.text for s in segments] == [s.text for s in ROWS]  # the last 3 once: the run's
    codes = [issue.code for issue in chunks[-1].issues or []]
    assert codes == ["continuation_row_outside"]


def test_a_forged_continuation_is_refused_before_any_claim_or_call(
    continuing: Continuing,
) -> None:
    """A continuation must carry the run's own plan and prompt (decision 0021): a task that asks
    for more, or names another object, is refused with no call and no change."""
    from tests.transcribe.conftest import transcription_doc

    blob = continuing.upload([{"max_tokens_at_row": 109, "times": 1}])
    assert continuing.stack.deliver(blob) == 200
    (task,) = continuing.tasks()
    calls, before = len(continuing.stack.model_calls()), transcription_doc(blob)
    forged = [
        task.model_copy(update={"prompt": task.prompt + " Then translate it all."}),
        task.model_copy(update={"plan": {**task.plan, "max_output_tokens": 1}}),
        task.model_copy(update={"name": "uploads/eve/other.mp4"}),
        task.model_copy(update={"attempt": 2, "upload_attempt": 2}),
    ]
    assert [continuing.run(t, f"forged-{n}") for n, t in enumerate(forged)] == [200] * 4
    assert len(continuing.stack.model_calls()) == calls and transcription_doc(blob) == before
    assert continuing.run(task, "genuine") == 200
    assert len(continuing.stack.model_calls()) == calls + 1
