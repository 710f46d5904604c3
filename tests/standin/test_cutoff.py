"""Cut-off answers: a repetition loop to the output limit, timecodes past the media's end, a
MAX_TOKENS finish right after a row (docs/standin.md, "Faults"), through the real SDK."""

from __future__ import annotations

import json
import math
import time

import pytest
from google.genai import types

import standin
from functions.core.catalog import catalog
from functions.format.parser import parse_text
from standin.cutoff import past_end_text, transcript_rows
from standin.faults import fault_from_dict
from tests.standin.sdk import (
    GS_URI,
    MODEL,
    SAMPLE_TEXT,
    answer_of,
    authored_json,
    bundled,
    stream,
    vertex,
)

TRAILER_URI = "gs://tabscribe-test/uploads/alice/trailer.wav"
KEYNOTE = bundled("keynote")
KEYNOTE_URI = "gs://tabscribe-test/uploads/alice/keynote.mp4"
LONG_URI = "gs://tabscribe-test/uploads/alice/long.mp4"
LONG = authored_json(  # rows at 59:50, 1:00:50 and 1:01:40 of 4,000 s
    [(3_590_000, 1, "Just before the hour."), (3_650_000, 2, "I'm Ada."), (3_700_000, 1, "Hi.")],
    [
        (1, "Bo Lund", "Radio", "Host", "Host", 10_000),
        (2, "Ada Moss", "Lab", "Guest", "Guest", None),
    ],
)
TRAILER_LINES = SAMPLE_TEXT.split("\n")  # <TRANSCRIPT>, the header, then the 13 rows
EMPTY_CLIP = ("5s", "10s")  # of the registered 10 s clip (GS_URI): its one row is at 00:01


@pytest.fixture
def media(stand_in: standin.StandIn) -> standin.StandIn:
    stand_in.register(SAMPLE_TEXT, duration_s=59, uri=TRAILER_URI)
    stand_in.register(
        **answer_of(KEYNOTE), duration_s=KEYNOTE["duration_s"], has_video=True, uri=KEYNOTE_URI
    )
    stand_in.register(**LONG, duration_s=4000, has_video=True, uri=LONG_URI)
    return stand_in


def trailer() -> types.Part:
    return types.Part.from_uri(file_uri=TRAILER_URI, mime_type="audio/wav")


def clip(uri: str, start: str, end: str) -> types.Part:
    part = types.Part.from_uri(file_uri=uri, mime_type="video/mp4")
    part.video_metadata = types.VideoMetadata(start_offset=start, end_offset=end)
    return part


def fault_header(**fault: object) -> types.HttpOptions:
    return types.HttpOptions(headers={"X-Standin-Fault": json.dumps(fault)})


def finish(chunks: list[types.GenerateContentResponse]) -> types.FinishReason | None:
    return chunks[-1].candidates[0].finish_reason  # type: ignore[index]


# -- a repetition loop ----------------------------------------------------------------------------


def test_a_loop_repeats_the_rows_line_until_max_output_tokens(media: standin.StandIn) -> None:
    media.configure(faults={"loop_from_row": 3})
    text, chunks = stream(vertex(media.url), trailer(), max_output_tokens=500)
    head = "\n".join(TRAILER_LINES[:5]) + "\n"  # the tag, the header, rows 1-3
    row_3 = TRAILER_LINES[4] + "\n"
    assert row_3.startswith("00:11\t1\tSo what happens")
    assert len(text) == 500 * 4 and text.startswith(head)
    loop = text[len(head) :]
    whole = len(loop) // len(row_3)
    assert loop == row_3 * whole + row_3[: len(loop) - whole * len(row_3)]  # identical, cut
    assert finish(chunks) == types.FinishReason.MAX_TOKENS
    assert "<SPEAKERS>" not in text and "</TRANSCRIPT>" not in text
    usage = chunks[-1].usage_metadata
    assert usage and usage.candidates_token_count == 500
    assert usage.total_token_count == usage.prompt_token_count + 500  # type: ignore[operator]
    result = parse_text(text)
    assert not result.complete and len(result.segments) == 3 + whole
    call = media.calls()[-1]
    assert call["cutoff"] == {"loop_row": 3} and call["faults"] == {"loop_from_row": 3}
    assert (call["chars_planned"], call["chars_sent"]) == (2000, 2000)
    assert (call["tokens_planned"], call["tokens_sent"]) == (500, 500)


def test_a_loop_without_max_output_tokens_runs_to_the_models_max(media: standin.StandIn) -> None:
    media.configure(faults={"loop_from_row": 1}, chunk_chars=8000)
    client = vertex(media.url)
    limit = catalog().get(MODEL).max_output_tokens  # type: ignore[union-attr]
    response = client.models.generate_content(model=MODEL, contents=[trailer(), "T"])
    assert response.text and len(response.text) == limit * 4
    assert response.candidates
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert response.usage_metadata and response.usage_metadata.candidates_token_count == limit
    thinking = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(thinking_budget=300)
    )
    response = client.models.generate_content(
        model=MODEL, contents=[trailer(), "T"], config=thinking
    )
    usage = response.usage_metadata  # the thoughts count against the limit
    assert usage and usage.thoughts_token_count == 300
    assert usage.candidates_token_count == limit - 300
    assert usage.total_token_count == usage.prompt_token_count + limit  # type: ignore[operator]


def test_a_loop_in_a_clip_repeats_the_clips_row(media: standin.StandIn) -> None:
    client = vertex(media.url)
    part = clip(KEYNOTE_URI, "550s", "600s")
    served = stream(client, part)[0].split("\n")
    media.configure(faults={"loop_from_row": 2})
    text, chunks = stream(client, part, max_output_tokens=300)
    assert served[3] == "00:02\t1\tBut people will still decide what matters."  # relative
    assert text.startswith("\n".join(served[:4]) + "\n" + served[3] + "\n" + served[3] + "\n")
    assert set(text.split("\n")[4:-1]) == {served[3]} and len(text) == 1200
    assert finish(chunks) == types.FinishReason.MAX_TOKENS
    assert media.calls()[-1]["clip"]["timecodes"] == "relative"
    media.configure(faults={"loop_from_row": 99}, clip_timecodes="absolute")  # past the last row
    lines = stream(client, part, max_output_tokens=1000)[0].split("\n")
    assert lines[22] == "09:59\t1\tThose are my favourite."  # the clip's 21st and last row
    assert lines[23] == lines[24] == lines[22]
    assert media.calls()[-1]["cutoff"] == {"loop_row": 21}


def test_a_loop_of_a_few_rows_then_the_rest(media: standin.StandIn) -> None:
    media.configure(faults={"loop_from_row": 2, "loop_rows": 3})
    text, chunks = stream(vertex(media.url), trailer())
    lines = TRAILER_LINES
    assert text == "\n".join(lines[:4] + [lines[3]] * 3 + lines[4:])
    assert finish(chunks) == types.FinishReason.STOP and parse_text(text).complete


def test_a_loop_can_be_a_cycle_of_rows(media: standin.StandIn) -> None:
    media.configure(faults={"loop_from_row": 3, "loop_rows": 3, "loop_cycle": 2})
    text, chunks = stream(vertex(media.url), trailer())
    lines = TRAILER_LINES
    assert text == "\n".join(lines[:5] + lines[3:5] * 3 + lines[5:])
    assert finish(chunks) == types.FinishReason.STOP


def test_a_client_that_hangs_up_mid_loop_is_sent_less(media: standin.StandIn) -> None:
    """At the realistic pace (here 4 times faster) the loop of 4,000 tokens would take 6.7 s;
    the client reads 10 chunks and hangs up: the log says how much was sent of what was planned."""
    media.configure(faults={"loop_from_row": 3}, realistic_pace=True, pace_scale=4)
    client = vertex(media.url)
    config = types.GenerateContentConfig(max_output_tokens=4000)
    began = time.monotonic()
    responses = client.models.generate_content_stream(
        model=MODEL, contents=[trailer(), "T"], config=config
    )
    received = ""
    for number, chunk in enumerate(responses, start=1):
        received += chunk.text or ""
        if number == 10:
            break
    responses.close()  # type: ignore[attr-defined]  # a generator: the SDK closes the stream
    read_s = time.monotonic() - began
    assert len(received) == 10 * 100 and 0.4 < read_s < 3  # 2.2 s / 4, then 25 tokens a chunk
    while "error" not in media.calls()[-1] and time.monotonic() - began < 5:
        time.sleep(0.02)
    call = media.calls()[-1]
    assert call["error"] == "client disconnected" and call["status"] is None
    assert (call["chars_planned"], call["tokens_planned"]) == (16_000, 4000)
    assert call["usage"]["candidatesTokenCount"] == 4000  # as planned: the client never saw it
    assert len(received) <= call["chars_sent"] < 4000  # and a chunk or two TCP took meanwhile
    assert call["tokens_sent"] == math.ceil(call["chars_sent"] / 4)


# -- timecodes past the end -----------------------------------------------------------------------


def test_the_last_rows_start_past_the_media_end(media: standin.StandIn) -> None:
    options = fault_header(timecodes_past_end=2)
    text, chunks = stream(vertex(media.url), trailer(), http_options=options)
    moved = SAMPLE_TEXT.replace("00:52\t1\tThat's", "01:29\t1\tThat's").replace(
        "00:55\t1\tSubscribe", "01:59\t1\tSubscribe"
    )
    assert text == moved != SAMPLE_TEXT  # 59 s + 30 s, + 60 s
    assert finish(chunks) == types.FinishReason.STOP
    starts = [s.start_ms for s in parse_text(text).segments]
    assert starts[-3:] == [48_000, 89_000, 119_000]
    assert media.calls()[-1]["cutoff"] == {"past_end_rows": [12, 13]}
    text, _ = stream(vertex(media.url), trailer(), http_options=fault_header(timecodes_past_end=40))
    assert [s.start_ms for s in parse_text(text).segments] == [
        59_000 + 30_000 * n for n in range(1, 14)
    ]


def test_past_the_clips_end_in_the_clips_timecodes(media: standin.StandIn) -> None:
    client = vertex(media.url)
    media.configure(faults={"timecodes_past_end": 1})
    relative = stream(client, clip(KEYNOTE_URI, "550s", "600s"))[0]
    assert "\n01:20\t1\tThose are my favourite.\n" in relative  # 50 s + 30 s
    assert "\n00:46\t5\tWhat about old tapes" in relative  # the others as they were
    media.configure(clip_timecodes="absolute")
    absolute = stream(client, clip(KEYNOTE_URI, "550s", "600s"))[0]
    assert "\n10:30\t1\tThose are my favourite.\n" in absolute  # 600 s + 30 s
    media.configure(faults={"timecodes_past_end": 2}, clip_timecodes="relative")
    hours = stream(
        client,
        clip(LONG_URI, "3580s", "3720s"),
        http_options=fault_header(timecodes_past_end=2, clip_timecodes="absolute"),
    )[0]
    assert "\n1:02:30\t2\tI'm Ada.\n1:03:00\t1\tHi.\n" in hours  # H:MM:SS, as the clip writes
    minutes = stream(client, clip(LONG_URI, "3580s", "3720s"))[0]
    assert "\n02:50\t2\tI'm Ada.\n03:20\t1\tHi.\n" in minutes  # 140 s + 30 s, + 60 s
    untouched, _ = stream(client, clip(GS_URI, *EMPTY_CLIP))
    assert parse_text(untouched).segments == []
    assert media.calls()[-1]["cutoff"] == {"past_end_rows": []}


def test_past_end_keeps_the_lines_own_layout() -> None:
    piped = "<TRANSCRIPT>\n| voice | start | text |\n|---|---|---|\n| 1 | 0:00:05 | Hi |\n"
    text, moved = past_end_text(piped, 1, 60_000)
    assert text == piped.replace("0:00:05", "0:01:30") and moved == [1]
    assert len(transcript_rows(piped)) == 1


# -- MAX_TOKENS after a row -----------------------------------------------------------------------


def test_max_tokens_right_after_a_row(media: standin.StandIn) -> None:
    media.configure(faults={"max_tokens_at_row": 4})
    text, chunks = stream(vertex(media.url), trailer())
    assert text == "\n".join(TRAILER_LINES[:6]) + "\n"  # rows 1-4, the 4th line whole
    assert finish(chunks) == types.FinishReason.MAX_TOKENS
    usage = chunks[-1].usage_metadata
    assert usage and usage.candidates_token_count == math.ceil(len(text) / 4)
    result = parse_text(text)
    assert len(result.segments) == 4 and not result.complete
    assert "truncated_row" not in {i.code for i in result.issues}
    call = media.calls()[-1]
    assert call["cutoff"] == {"max_tokens_at_row": 4} and call["chars_sent"] == len(text)
    client = vertex(media.url)
    response = client.models.generate_content(model=MODEL, contents=[trailer(), "T"])
    assert response.text == text  # not streaming: the same


def test_max_tokens_at_a_row_of_a_clip_or_past_the_last(media: standin.StandIn) -> None:
    client = vertex(media.url)
    served = stream(client, clip(KEYNOTE_URI, "550s", "600s"))[0].split("\n")
    media.configure(faults={"max_tokens_at_row": 2})
    text, _ = stream(client, clip(KEYNOTE_URI, "550s", "600s"))
    assert text == "\n".join(served[:4]) + "\n"  # the clip's rows, relative
    media.configure(faults={"max_tokens_at_row": 50})
    text, chunks = stream(client, trailer())
    assert text == SAMPLE_TEXT[: SAMPLE_TEXT.index("</TRANSCRIPT>")]  # after the last row
    assert finish(chunks) == types.FinishReason.MAX_TOKENS
    assert media.calls()[-1]["cutoff"] == {"max_tokens_at_row": 13}
    text, chunks = stream(client, clip(GS_URI, *EMPTY_CLIP))  # no row: nothing to cut after
    assert parse_text(text).complete and finish(chunks) == types.FinishReason.STOP
    assert media.calls()[-1]["cutoff"] == {"max_tokens_at_row": None}


def test_a_loop_with_no_rows_leaves_the_answer(media: standin.StandIn) -> None:
    media.configure(faults={"loop_from_row": 1})
    text, chunks = stream(vertex(media.url), clip(GS_URI, *EMPTY_CLIP))
    assert parse_text(text).complete and finish(chunks) == types.FinishReason.STOP
    assert media.calls()[-1]["cutoff"] == {"loop_row": None}


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ({"loop_from_row": 0}, "loop_from_row"),
        ({"loop_from_row": True}, "loop_from_row"),
        ({"max_tokens_at_row": 1.5}, "max_tokens_at_row"),
        ({"timecodes_past_end": -1}, "timecodes_past_end"),
        ({"loop_rows": 2}, "loop_rows needs loop_from_row"),
        ({"loop_cycle": 2}, "loop_cycle needs loop_from_row"),
        ({"loop_from_row": 2, "loop_cycle": 0}, "loop_cycle must"),
        ({"loop_from_row": 2, "loop_rows": 0}, "loop_rows must"),
    ],
)
def test_row_counts_are_whole_numbers(fault: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        fault_from_dict(fault)
