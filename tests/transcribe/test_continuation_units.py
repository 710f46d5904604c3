"""Pure units of a cut (functions/transcribe/continuation.py): where the continuation point is,
and when a run stops going on."""

from __future__ import annotations

from typing import Any

from functions.core.settings import Settings
from functions.format.parser import StreamParser
from functions.transcribe.chunks import Chunk
from functions.transcribe.continuation import Stream, within_limits
from functions.transcribe.plan import Plan

HEAD = "<TRANSCRIPT>\nstart\tvoice\ttext\n"


def plan(duration_s: float = 600, start_s: float | None = None) -> Plan:
    return Plan(
        model="gemini-3-flash-preview",
        generation=3,
        mime_type="video/mp4",
        has_video=True,
        duration_s=duration_s,
        start_s=start_s,
        media_resolution="low",
        timecode_format="MM:SS",
        max_output_tokens=65536,
        temperature=None,
        top_p=None,
        seed=None,
        estimated_input_tokens=None,
    )


def published(stream: Stream, text: str) -> None:
    assert stream.publishable(Chunk(StreamParser().state(), text, 0)) is not None


def test_rows_past_the_end_or_running_backwards_never_move_the_point() -> None:
    stream = Stream(plan(600), None)
    published(stream, HEAD + "01:00\t1\tOne.\n02:00\t2\tTwo.\n01:30\t1\tBack.\n15:00\t1\tPast.\n")
    cut = stream.cut()
    assert cut is not None and cut.point_ms == 120_000  # not 15:00, nor 01:30
    assert [row.start_ms for row in cut.rows] == [60_000, 120_000, 90_000, 900_000]
    assert cut.voices == [1, 2] and cut.offset_ms == 0


def test_a_clip_answering_relative_timecodes_is_cut_in_media_time() -> None:
    stream = Stream(plan(600, start_s=1200), None)  # the clip 20:00-30:00
    published(stream, HEAD + "00:10\t1\tOne.\n05:00\t2\tTwo.\n")
    cut = stream.cut()
    assert cut is not None and (cut.start_ms, cut.end_ms) == (1_200_000, 1_800_000)
    assert cut.offset_ms == 1_200_000 and cut.point_ms == 1_500_000


def test_a_media_of_unknown_length_cannot_go_on() -> None:
    assert Stream(plan().model_copy(update={"duration_s": None}), None).cut() is None


def task(**fields: Any) -> Any:
    from functions.core.messages import ContinueTask

    stream = Stream(plan(600), None)
    published(stream, HEAD + fields.pop("rows", "01:00\t1\tOne.\n"))
    base = {
        "transcription_id": "0" * 32,
        "bucket": "b",
        "name": "uploads/jo/a.mp4",
        "generation": "1",
        "attempt": 1,
        "upload_attempt": 1,
        "plan": plan().model_dump(),
        "prompt": "p",
        "seq": 1,
        "why": "cut",
        "cut": stream.cut(),
    }
    return ContinueTask(**(base | fields))


def test_the_limits_count_continuations_and_stalls() -> None:
    settings = Settings(GOOGLE_CLOUD_PROJECT="p", continuations=3, continuation_stalls=2)
    first = within_limits(settings, task(number=1), None)
    assert first is not None and first.stalls == 0
    same = within_limits(settings, task(number=2), first)  # no further than the first
    assert same is not None and same.stalls == 1
    assert within_limits(settings, task(number=3), same) is None  # a second stall in a row
    further = within_limits(settings, task(number=3, rows="01:00\t1\tOne.\n02:00\t1\tTwo.\n"), same)
    assert further is not None and further.stalls == 0
    assert within_limits(settings, task(number=4, rows="09:00\t1\tLast.\n"), further) is None
