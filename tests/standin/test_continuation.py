"""Continuation answers: the clip after an `<EARLIER>` block, numbered as a model that follows
the instruction would (docs/standin.md, "Continuations"), in pure functions and through the SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.genai import types

import standin
from functions.core.catalog import catalog
from functions.format.models import Segment
from functions.format.parser import parse_text
from functions.transcribe.prompt import EARLIER_TAG, build_continuation_prompt, build_prompt
from standin import continuation
from standin.authored import authored_from_json
from standin.clips import clip_text
from standin.continuation import (
    answer_numbers,
    continuation_text,
    earlier_rows,
    earlier_voices,
    is_continuation,
)
from standin.protocol import Media, ModelRequest
from tests.standin.sdk import MODEL, answer_of, authored_json, bundled, vertex

AUTHORED_JSON = authored_json(
    [
        (0, 1, "Welcome, I'm Tom."),
        (10_000, 2, "Thanks, Tom."),
        (20_000, 1, "Questions?"),
        (30_000, 3, "I'm Priya."),
        (40_000, 2, "Thanks."),
        (50_000, 3, "Thanks."),  # the same text as the row before
        (60_000, 4, "Bye."),
    ],
    [
        (1, "Tom Reyes", "Summit", "Chair", "Moderator", 0),
        (2, "Amara Okafor", "Lumen", "Scientist", "Speaker", 10_000),
        (3, "Priya Nair", "Daily", "Reporter", "Audience member", 30_000),
        (4, None, None, None, "Stage manager", None),
    ],
)
AUTHORED = authored_from_json(**AUTHORED_JSON)
LONG = authored_from_json(  # rows at 59:50, 1:00:50 and 1:01:40
    **authored_json(
        [
            (3_590_000, 1, "Just before the hour."),
            (3_650_000, 2, "I'm Ada."),
            (3_700_000, 1, "Hi."),
        ],
        [
            (1, "Bo Lund", "Radio", "Host", "Host", 10_000),
            (2, "Ada Moss", "Lab", "Guest", "Guest", None),
        ],
    )
)
CONFERENCE = bundled("conference")
CONFERENCE_URI = "gs://tabscribe-test/uploads/alice/conference.mp4"


def voices(text: str) -> list[int | None]:
    return [s.voice for s in parse_text(text).segments]


def speaker_lines(text: str) -> list[str]:
    return text.split("<SPEAKERS>\n")[1].split("\n")[1:-2]


# -- numbering ------------------------------------------------------------------------------------


def test_a_voice_of_earlier_keeps_its_id_and_others_keep_theirs_when_free() -> None:
    earlier = [(0, 2, "Welcome, I'm Tom."), (10_000, 1, "Thanks, Tom."), (20_000, 2, "Questions?")]
    text = continuation_text(AUTHORED, 18, 70, earlier)
    assert voices(text) == [2, 3, 1, 3, 4]  # Tom is 2 and Amara 1 there; Priya and 4 are free
    assert voices(clip_text(AUTHORED, 18, 70)) == [1, 2, 3, 2, 4]  # a plain clip renumbers


def test_a_whole_media_run_keeps_the_authored_ids() -> None:
    earlier = [(r.start_ms, r.voice, r.text) for r in AUTHORED.rows[:4]]
    assert voices(continuation_text(AUTHORED, 28, 70, earlier)) == [3, 2, 3, 4]


def test_an_authored_id_used_in_earlier_becomes_the_next_above_every_used() -> None:
    earlier = [(0, 3, "Welcome, I'm Tom."), (10_000, 1, "Thanks, Tom."), (20_000, 3, "Questions?")]
    text = continuation_text(AUTHORED, 18, 70, earlier)
    assert voices(text) == [3, 4, 1, 4, 5]  # Priya (3) is taken: 4; then 4 is taken: 5
    assert answer_numbers([7, 9, None, 7], {}, {2, 9}) == {7: 7, 9: 10}


def test_the_same_text_is_the_row_within_two_seconds() -> None:
    rows = AUTHORED.rows
    assert earlier_voices(rows, [(51_000, 6, "Thanks.")]) == {3: 6}  # the 50 s row, not 40 s
    assert earlier_voices(rows, [(45_000, 6, "Thanks.")]) == {}  # neither is near
    assert earlier_voices(rows, [(99_000, 6, " I'm  Priya. ")]) == {3: 6}  # one row has it
    assert voices(continuation_text(AUTHORED, 38, 70, [(50_000, 6, "Thanks.")])) == [2, 6, 4]


def test_timecodes_relative_by_default_absolute_when_asked() -> None:
    earlier = [(3_590_000, 1, "Just before the hour.")]
    relative = continuation_text(LONG, 3580, 3720, earlier)
    assert "00:10\t1\tJust before the hour.\n01:10\t2\tI'm Ada.\n02:00\t1\tHi.\n" in relative
    absolute = continuation_text(LONG, 3580, 3720, earlier, "absolute")
    assert "0:59:50\t1\tJust before the hour.\n1:00:50\t2\tI'm Ada.\n" in absolute


def test_speakers_of_the_answer_and_of_earlier_named_with_evidence_only_in_the_clip() -> None:
    earlier = [(0, 2, "Welcome, I'm Tom."), (10_000, 1, "Thanks, Tom."), (5_000, 8, "(applause)")]
    text = continuation_text(AUTHORED, 35, 70, earlier)
    assert voices(text) == [1, 3, 4]  # Tom (2) does not speak after 35 s; 8 matched nobody
    assert speaker_lines(text) == [
        "1\tAmara Okafor\tLumen\tScientist\tSpeaker\t?",
        "2\tTom Reyes\tSummit\tChair\tModerator\t?",
        "3\tPriya Nair\tDaily\tReporter\tAudience member\t?",  # named at 30 s, before the clip
        "4\t?\t?\t?\tStage manager\t?",
        "8\t?\t?\t?\t?\t?",
    ]
    named_here = continuation_text(AUTHORED, 28, 70, earlier)
    assert "3\tPriya Nair\tDaily\tReporter\tAudience member\t00:02" in speaker_lines(named_here)


# -- the request ----------------------------------------------------------------------------------


def earlier_segments() -> list[Segment]:
    return [
        Segment(start_ms=3_590_000, voice=1, text='"Quoted & <b>bold</b>"'),
        Segment(start_ms=3_650_000, voice=None, text="Someone, unsure."),
        Segment(start_ms=3_700_000, voice=12, text="Tab\there, line\nthere."),
    ]


def test_earlier_rows_read_back_what_the_prompt_wrote() -> None:
    prompt = build_continuation_prompt(
        build_prompt(4000), 3_690_000, 3_700_000, earlier_segments(), with_hours=True
    )
    assert earlier_rows(["Transcribe.", prompt]) == [
        (3_590_000, 1, '"Quoted & <b>bold</b>"'),
        (3_650_000, None, "Someone, unsure."),
        (3_700_000, 12, "Tab here, line there."),
    ]


def test_the_stand_in_names_the_tag_the_products_prompt_uses() -> None:
    """The `<EARLIER>` block is protocol: the stand-in has its own name for its tag."""
    assert continuation.EARLIER_TAG == EARLIER_TAG
    prompt = build_continuation_prompt(build_prompt(), 5_000, 9_000, earlier_segments(), False)
    assert f"\n<{continuation.EARLIER_TAG}>\n" in prompt
    assert f"\n</{continuation.EARLIER_TAG}>\n" in prompt


def test_earlier_rows_are_read_leniently() -> None:
    block = "<EARLIER>\nstart\tvoice\ttext\nnot a row\n00:05\t2\tHi.\n\n01:00\tV3\t&amp; so\n"
    assert earlier_rows([block]) == [(5_000, 2, "Hi."), (60_000, 3, "& so")]  # no end tag
    assert earlier_rows(["The rows in <EARLIER> below.", "none"]) == []  # no block at all
    closed = "<EARLIER>\n00:01\t1\tIn.\n</EARLIER>\n00:02\t1\tOut.\n"
    assert earlier_rows([closed]) == [(1_000, 1, "In.")]


def request(texts: list[str], media: list[Media]) -> ModelRequest:
    model = catalog().get(MODEL)
    assert model is not None
    return ModelRequest("vertex", model, True, media, 0, texts=texts)


def test_a_continuation_is_one_clipped_part_and_an_earlier_block() -> None:
    def part(offsets_in: str | None) -> Media:
        return Media("gcs", CONFERENCE_URI, "video/mp4", start_s=5, offsets_in=offsets_in)

    prompt = build_continuation_prompt(build_prompt(), 5_000, 9_000, earlier_segments(), False)
    assert is_continuation(request(["", prompt], [part("video_metadata")]))
    assert is_continuation(request(["", prompt], [part("audio_metadata")]))
    assert not is_continuation(request(["", prompt], [part(None)]))
    assert not is_continuation(request(["", build_prompt()], [part("video_metadata")]))
    two = [part("video_metadata"), part("video_metadata")]
    assert not is_continuation(request(["", "", prompt], two))


# -- through the SDK ------------------------------------------------------------------------------

# The conference's clip 26:40-50:00 was numbered 1 (authored 1), 2 (11), 3 (2), 4 (12), 5 (3);
# its answer was cut after the row at 31:55 and continues from 31:45.
CUT_MS, START_S, END_S = 1_915_000, 1905, 3000


@pytest.fixture
def conference(stand_in: standin.StandIn) -> standin.StandIn:
    stand_in.register(
        **answer_of(CONFERENCE),
        duration_s=CONFERENCE["duration_s"],
        has_video=True,
        uri=CONFERENCE_URI,
    )
    return stand_in


def continuation_prompt() -> str:
    conference = authored_from_json(**answer_of(CONFERENCE))
    clip = parse_text(clip_text(conference, 1600, END_S, "absolute")).segments
    earlier = [row for row in clip if row.start_ms <= CUT_MS]
    base = build_prompt(CONFERENCE["duration_s"], has_video=True)
    return build_continuation_prompt(base, START_S * 1000, CUT_MS, earlier, with_hours=True)


def ask(url: str, **options: Any) -> tuple[str, list[types.GenerateContentResponse]]:
    part = types.Part.from_uri(file_uri=CONFERENCE_URI, mime_type="video/mp4")
    part.video_metadata = types.VideoMetadata(start_offset=f"{START_S}s", end_offset=f"{END_S}s")
    client = vertex(url, **options)
    chunks = list(
        client.models.generate_content_stream(model=MODEL, contents=[part, continuation_prompt()])
    )
    return "".join(c.text or "" for c in chunks), chunks


def test_a_continuation_through_the_sdk_keeps_the_earlier_ids(
    conference: standin.StandIn,
) -> None:
    text, chunks = ask(conference.url)
    got = parse_text(text)
    assert got.complete  # EARLIER's voices are listed though they do not speak here:
    assert [i.message for i in got.issues if i.code == "silent_speaker"] == [
        f"voice {voice} is listed but never speaks" for voice in (2, 3, 4)
    ]
    assert len(got.issues) == 3
    first = got.segments[0]
    assert (first.start_ms, first.voice) == (10_000, 5)  # Ingrid Holm, 5 in <EARLIER>
    assert first.text.startswith("For example, one person would need five years")
    by_text = {s.text: s.voice for s in got.segments}
    assert by_text["Five minutes left for this session, please."] == 6  # authored 5: taken
    assert by_text["Thank you. We have time for some questions."] == 1  # the chair
    assert by_text["Hello, I'm Chloe Martin, Librarian at Lyon Library."] == 13  # free
    speakers = {s.voice: s for s in got.speakers}
    assert sorted(speakers) == [1, 2, 3, 4, 5, 6, 13, 14, 15]
    assert (speakers[2].name, speakers[2].evidence_ms) == ("Elena Petrova", None)
    assert (speakers[13].name, speakers[13].evidence_ms) == ("Chloe Martin", 825_000)
    call = conference.calls()[-1]
    assert call["continuation"] == {
        "start_s": START_S,
        "end_s": END_S,
        "timecodes": "relative",
        "earlier_rows": 15,
    }
    assert "clip" not in call
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"


def test_faults_apply_to_a_continuation_as_to_any_call(conference: standin.StandIn) -> None:
    conference.configure(
        faults=[
            {"status": 503, "clip_start_s": 0, "times": 1},
            {"max_tokens_at_row": 25, "clip_start_s": START_S, "times": 1},
        ]
    )
    text, chunks = ask(conference.url)
    assert text.endswith("09:54\t6\tFive minutes left for this session, please.\n")
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "MAX_TOKENS"
    assert conference.calls()[-1]["cutoff"] == {"max_tokens_at_row": 25}
    header = {"X-Standin-Fault": json.dumps({"timecodes_past_end": 1})}
    moved, _ = ask(conference.url, headers=header)
    assert "\n18:45\t15\tWhat accuracy do you get on phone callers?\n" in moved  # 1095 s + 30 s
    header = {"X-Standin-Fault": json.dumps({"clip_timecodes": "absolute"})}
    absolute, _ = ask(conference.url, headers=header)
    assert absolute.startswith("<TRANSCRIPT>\nstart\tvoice\ttext\n31:55\t5\tFor example")
    assert conference.calls()[-1]["continuation"]["timecodes"] == "absolute"
    assert [f["faults"] for f in conference.calls()] == [
        {"max_tokens_at_row": 25, "clip_start_s": START_S},
        {"timecodes_past_end": 1},
        {"clip_timecodes": "absolute"},
    ]
    assert len(conference.state.faults.pending()) == 1  # the fault for the clip at 0 is left
