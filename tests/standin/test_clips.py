"""Clip answers (media parts with offsets) and the realistic pace, through the real SDK."""

from __future__ import annotations

import io
import json
import math
import time
from typing import Any

import pytest
from google.genai import errors, types

import standin
from functions.core.catalog import catalog
from functions.format.parser import parse_text
from functions.format.voices import Snippet, parse_answer, slots
from functions.transcribe.prompt import build_voices_prompt
from standin.faults import Fault, fault_from_dict
from standin.pacing import OUTPUT_TOKENS_PER_S, first_token_s, pace_of
from standin.protocol import Usage
from standin.state import Config, config_with
from tests.standin.sdk import (
    MODEL,
    answer_of,
    authored_json,
    bundled,
    developer,
    http,
    stream,
    upload_active,
    vertex,
)

KEYNOTE = bundled("keynote")
PODCAST = bundled("podcast")
KEYNOTE_ROWS = KEYNOTE["rows"]
KEYNOTE_URI = "gs://tabscribe-test/uploads/alice/keynote.mp4"
PODCAST_URI = "gs://tabscribe-test/uploads/alice/podcast.m4a"
LONG_URI = "gs://tabscribe-test/uploads/alice/long.mp4"
# Past the hour: rows at 59:50, 1:00:50 and 1:01:40; the second speaker is named at 1:00:50.
LONG = authored_json(
    [(3_590_000, 1, "Just before the hour."), (3_650_000, 2, "I'm Ada."), (3_700_000, 1, "Hi.")],
    [
        (1, "Bo Lund", "Radio", "Host", "Host", 10_000),
        (2, "Ada Moss", "Lab", "Guest", "Guest", 3_650_000),
    ],
)


@pytest.fixture
def clips(stand_in: standin.StandIn) -> standin.StandIn:
    stand_in.register(
        **answer_of(KEYNOTE), duration_s=KEYNOTE["duration_s"], has_video=True, uri=KEYNOTE_URI
    )
    stand_in.register(**answer_of(PODCAST), duration_s=PODCAST["duration_s"], uri=PODCAST_URI)
    stand_in.register(**LONG, duration_s=4000, has_video=True, uri=LONG_URI)
    return stand_in


def video_clip(uri: str, start: str | None, end: str | None) -> types.Part:
    part = types.Part.from_uri(file_uri=uri, mime_type="video/mp4")
    part.video_metadata = types.VideoMetadata(start_offset=start, end_offset=end)
    return part


def test_a_clip_has_only_its_rows_renumbered_and_relative(clips: standin.StandIn) -> None:
    text, chunks = stream(vertex(clips.url), video_clip(KEYNOTE_URI, "550s", "600s"))
    got = parse_text(text)
    assert got.complete and got.issues == []
    expected = [r for r in KEYNOTE_ROWS if 550_000 <= r["start_ms"] < 600_000]
    assert 3 <= len(expected) < len(KEYNOTE_ROWS)
    assert [s.text for s in got.segments] == [r["text"] for r in expected]
    assert [s.start_ms for s in got.segments] == [r["start_ms"] - 550_000 for r in expected]
    order: dict[int, int] = {}  # authored voice -> clip voice, by first appearance
    for row in expected:
        assert row["voice"] is not None
        order.setdefault(row["voice"], len(order) + 1)
    assert [s.voice for s in got.segments] == [order[r["voice"]] for r in expected]
    assert sorted(s.voice for s in got.speakers) == list(range(1, len(order) + 1))
    usage = chunks[-1].usage_metadata
    assert usage and usage.candidates_token_count == math.ceil(len(text) / 4)
    assert usage.prompt_token_count == 50 * 70 + 50 * 32 + 3  # 50 s of video at 1 fps


def test_speakers_are_named_only_with_evidence_in_the_clip(clips: standin.StandIn) -> None:
    text, _ = stream(vertex(clips.url), video_clip(KEYNOTE_URI, "550s", "600s"))
    by_name = {s.name: s for s in parse_text(text).speakers}
    assert set(by_name) == {None, "Priya Nair", "Lukas Brandt", "Grace Lin"}  # Q&A names: 561 s…
    assert by_name["Priya Nair"].evidence_ms == 11_000  # 561 s, relative to the clip
    unnamed = by_name[None]  # the keynote speaker and the chair were introduced before 550 s
    assert (unnamed.company, unnamed.position, unnamed.evidence_ms) == (None, None, None)
    assert len(parse_text(text).speakers) == 5
    opening, _ = stream(vertex(clips.url), video_clip(KEYNOTE_URI, None, "60s"))
    named = {s.name: s.evidence_ms for s in parse_text(opening).speakers}
    assert named == {"Tom Reyes": 0, "Dr. Amara Okafor": 18_000}  # the audience is not listed


def test_absolute_timecodes_when_injected_per_request_or_configured(
    clips: standin.StandIn,
) -> None:
    part = video_clip(LONG_URI, "3580s", "3720s")
    relative, _ = stream(vertex(clips.url), part)
    assert "00:10\t1\tJust before the hour." in relative and "01:10\t2\tI'm Ada." in relative
    assert "\n2\tAda Moss\tLab\tGuest\tGuest\t01:10\n" in relative
    assert "\n1\t?\t?\t?\tHost\t?\n" in relative  # the host's evidence is at 00:10 of the media
    header = {"X-Standin-Fault": json.dumps({"clip_timecodes": "absolute"})}
    options = types.HttpOptions(headers=header)
    absolute, _ = stream(vertex(clips.url), part, http_options=options)
    assert "0:59:50\t1\tJust before the hour." in absolute and "1:01:40\t1\tHi." in absolute
    assert "\n2\tAda Moss\tLab\tGuest\tGuest\t1:00:50\n" in absolute
    assert clips.calls()[-1]["clip"] == {"start_s": 3580, "end_s": 3720, "timecodes": "absolute"}
    clips.configure(clip_timecodes="absolute")
    assert stream(vertex(clips.url), part)[0] == absolute
    early, _ = stream(vertex(clips.url), video_clip(LONG_URI, "3500s", "3599s"))
    assert "59:50\t1\tJust before the hour." in early and "0:59:50" not in early  # MM:SS


def test_audio_metadata_offsets_clip_audio(clips: standin.StandIn) -> None:
    part = types.Part.from_uri(file_uri=PODCAST_URI, mime_type="audio/mp4")
    part.audio_metadata = types.AudioMetadata(start_offset="10s", end_offset="20s")
    text, chunks = stream(vertex(clips.url), part)
    got = parse_text(text)
    expected = [r["text"] for r in PODCAST["rows"] if 10_000 <= r["start_ms"] < 20_000]
    assert [s.text for s in got.segments] == expected and expected
    assert got.segments[0].voice == 1
    usage = chunks[-1].usage_metadata
    assert usage and usage.prompt_token_count == 10 * 32 + 3
    call = clips.calls()[-1]
    assert call["media"][0]["offsets_in"] == "audio_metadata"
    assert call["clip"] == {"start_s": 10, "end_s": 20, "timecodes": "relative"}


def test_no_offsets_is_the_whole_authored_answer(clips: standin.StandIn) -> None:
    part = types.Part.from_uri(file_uri=KEYNOTE_URI, mime_type="video/mp4")
    text, _ = stream(vertex(clips.url), part)
    assert [(s.start_ms, s.voice, s.text) for s in parse_text(text).segments] == [
        (r["start_ms"], r["voice"], r["text"]) for r in KEYNOTE_ROWS
    ]
    assert "clip" not in clips.calls()[-1]
    start_only, _ = stream(vertex(clips.url), video_clip(KEYNOTE_URI, "600s", None))
    assert parse_text(start_only).segments[-1].text == KEYNOTE_ROWS[-1]["text"]


def test_a_fault_for_one_clip_passes_other_calls_by(clips: standin.StandIn) -> None:
    clips.configure(
        faults=[
            {"status": 503, "times": 2, "clip_start_s": 100},
            {"prompt_block": "PROHIBITED_CONTENT", "clip_start_s": 0, "times": 1},
            {"malformed": True, "times": 1},
        ]
    )
    client = vertex(clips.url)
    assert "<TRANSCRIPT>" not in stream(client, video_clip(KEYNOTE_URI, "200s", "300s"))[0]
    assert stream(client, video_clip(KEYNOTE_URI, "0s", "100s"))[1][0].text is None  # blocked
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            stream(client, video_clip(KEYNOTE_URI, "100s", "200s"))
    assert "<TRANSCRIPT>" in stream(client, video_clip(KEYNOTE_URI, "100s", "200s"))[0]
    assert "<TRANSCRIPT>" in stream(client, video_clip(KEYNOTE_URI, "0s", "100s"))[0]
    assert [(c["media"][0]["start_s"], c["status"], c["faults"]) for c in clips.calls()] == [
        (200, 200, {"malformed": True}),
        (0, 200, {"prompt_block": "PROHIBITED_CONTENT", "clip_start_s": 0}),
        (100, 503, {"status": 503, "clip_start_s": 100}),
        (100, 503, {"status": 503, "clip_start_s": 100}),
        (100, 200, {}),
        (0, 200, {}),
    ]
    assert http(clips.url + "/_standin/faults")["faults"] == []
    with pytest.raises(ValueError, match="clip_start_s"):
        fault_from_dict({"status": 503, "clip_start_s": -1})


def test_bad_clip_timecodes_are_refused(clips: standin.StandIn) -> None:
    with pytest.raises(ValueError, match="clip_timecodes"):
        clips.configure(clip_timecodes="sideways")
    with pytest.raises(ValueError, match="clip_timecodes"):
        fault_from_dict({"clip_timecodes": "sideways"})
    with pytest.raises(ValueError, match="pace_scale"):
        clips.configure(pace_scale=0)


# -- pace -----------------------------------------------------------------------------------------


def test_first_token_waits_longer_for_more_input() -> None:
    short, long = Usage(16_917, [], 0), Usage(546_590, [], 0)
    assert first_token_s(short) < first_token_s(long)
    assert first_token_s(Usage(1_000, [], 0)) < first_token_s(Usage(1_000, [], 1_024))  # thinking


def test_realistic_pace_reproduces_seed_001() -> None:
    """Seed 001: the 1 h 40 min keynote took 4-8 minutes in one request; the trailer seconds."""

    def total_s(prompt: int, output: int) -> float:
        return first_token_s(Usage(prompt, [], 0)) + output / OUTPUT_TOKENS_PER_S

    assert 4 * 60 <= total_s(546_590, 45_398) <= 8 * 60
    assert total_s(16_917, 989) <= 15


def test_pace_settings_and_scale() -> None:
    usage = Usage(100_000, [], 0)
    off = pace_of(Config(token_rate=50), Fault(), usage)
    assert (off.rate, off.first_token_s) == (50, 0.0)
    realistic = pace_of(
        config_with(Config(), {"realistic_pace": True, "pace_scale": 10}), Fault(), usage
    )
    assert (realistic.rate, realistic.first_token_s) == (OUTPUT_TOKENS_PER_S, first_token_s(usage))
    assert realistic.chunk_delay(600) == pytest.approx(600 / 4 / OUTPUT_TOKENS_PER_S / 10)
    assert pace_of(Config(realistic_pace=True), Fault(token_rate=7), usage).rate == 7


def test_realistic_first_byte_grows_with_the_input(stand_in: standin.StandIn) -> None:
    """With the pace 20 times faster: 2.1 s of a 10 s clip's first token is about 0.1 s, and
    11.6 s of 3,000 s of audio (96,000 tokens) about 0.6 s."""
    stand_in.configure(realistic_pace=True, pace_scale=20)
    stand_in.register(**answer_of(PODCAST), duration_s=3000, uri=PODCAST_URI)
    long_part = types.Part.from_uri(file_uri=PODCAST_URI, mime_type="audio/mp4")
    short_part = types.Part.from_uri(file_uri=KEYNOTE_URI, mime_type="video/mp4")
    stand_in.register(**answer_of(KEYNOTE), duration_s=10, has_video=True, uri=KEYNOTE_URI)

    client = vertex(stand_in.url)

    def first_byte_s(part: types.Part) -> float:
        began = time.monotonic()
        chunks = client.models.generate_content_stream(
            model="gemini-3-flash-preview", contents=[part, "Transcribe."]
        )
        next(iter(chunks))
        return time.monotonic() - began

    short, long = first_byte_s(short_part), first_byte_s(long_part)
    assert short + 0.3 < long
    assert http(stand_in.url + "/_standin/config")["pace_scale"] == 20


def test_developer_clip_of_an_uploaded_file_is_clipped_too(clips: standin.StandIn) -> None:
    clips.register(**LONG, duration_s=4000, has_video=False, media=b"long audio bytes")
    client = developer(clips.url)
    uploaded = upload_active(client, io.BytesIO(b"long audio bytes"), "audio/ogg")
    part = types.Part.from_uri(file_uri=uploaded.uri or "", mime_type="audio/ogg")
    part.audio_metadata = types.AudioMetadata(start_offset="3640s")
    text, _ = stream(client, part)
    assert [s.text for s in parse_text(text).segments] == ["I'm Ada.", "Hi."]


def keynote_reel() -> tuple[list[Snippet], str]:
    """Six snippets of the keynote's authored rows, each numbered a voice of its own, and the
    voices pass's instructions listing them in a reel (as the transcriber asks)."""
    rows = [r for r in KEYNOTE_ROWS if r["voice"] is not None][:6]
    snippets = [
        Snippet(voice=n, start_ms=r["start_ms"], end_ms=r["start_ms"] + 4_500, text=r["text"][:100])
        for n, r in enumerate(rows, 1)
    ]
    return snippets, build_voices_prompt(True, slots(snippets))


def test_the_voices_pass_hears_one_reel_through_its_listing(clips: standin.StandIn) -> None:
    client = vertex(clips.url)  # kept: a client closes when collected
    snippets, prompt = keynote_reel()
    reel = types.Part.from_uri(
        file_uri="gs://tabscribe-test/results/t/voices-1.webm", mime_type="video/webm"
    )
    reel.video_metadata = types.VideoMetadata(fps=0.5)
    answer = client.models.generate_content(model=MODEL, contents=[reel, prompt])
    groups, issues = parse_answer(answer.text or "", {s.voice for s in snippets})
    authored = {r["start_ms"]: r["voice"] for r in KEYNOTE_ROWS}
    truth = {s.voice: authored[s.start_ms] for s in snippets}
    assert issues == [] and groups is not None
    assert all(len({truth[v] for v in group}) == 1 for group in groups)
    assert sum(len(g) - 1 for g in groups) == len(snippets) - len(set(truth.values())) > 0
    [call] = clips.calls()
    assert call["voices"] == 6 and len(call["media"]) == 1
    reel_s = slots(snippets)[-1].end_s  # 6 slots of 5 s, 1 s apart: 35 s
    model = catalog().get(MODEL)
    assert model is not None and reel_s == 35
    audio = {d["modality"]: d["tokenCount"] for d in call["usage"]["promptTokensDetails"]}
    assert audio["AUDIO"] == round(reel_s * model.audio_tokens_per_s)


def test_labelled_parts_on_the_recording_are_no_voices_pass(clips: standin.StandIn) -> None:
    """The old form, a part per voice: not answered as the voices pass."""
    client = vertex(clips.url)  # kept: a client closes when collected
    snippets, prompt = keynote_reel()
    parts: list[Any] = []
    for snippet in snippets:
        start, end = f"{snippet.start_ms / 1000:g}s", f"{snippet.end_ms / 1000:g}s"
        parts += [f"Voice {snippet.voice}:", video_clip(KEYNOTE_URI, start, end)]
    answer = client.models.generate_content(model=MODEL, contents=[*parts, prompt])
    assert "<SAME_PERSON>" not in (answer.text or "")
    assert "voices" not in clips.calls()[0]


def test_a_reel_of_no_registered_recording_is_refused(clips: standin.StandIn) -> None:
    client = vertex(clips.url)  # kept: a client closes when collected
    snippets = [
        Snippet(voice=n, start_ms=n * 10_000, end_ms=n * 10_000 + 4_000, text="Words nobody said")
        for n in (1, 2)
    ]
    reel = types.Part.from_uri(
        file_uri="gs://tabscribe-test/results/t/voices-1.ogg", mime_type="audio/ogg"
    )
    prompt = build_voices_prompt(False, slots(snippets))
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents=[reel, prompt])
    assert caught.value.code == 400 and "no registered recording" in str(caught.value.message)


def test_a_text_registration_is_replayed_as_it_is_for_a_clip_too(clips: standin.StandIn) -> None:
    opaque = "<TRANSCRIPT>\n00:01\t1\tNot rows: the stand-in replays this.\n"
    uri = "gs://tabscribe-test/uploads/alice/opaque.mp4"
    clips.register(opaque, duration_s=100, has_video=True, uri=uri)
    assert stream(vertex(clips.url), video_clip(uri, "50s", "60s"))[0] == opaque
    assert "clip" not in clips.calls()[-1]


def test_the_events_table_answers_a_prompt_that_asks_for_it_in_the_clips_range(
    stand_in: standin.StandIn,
) -> None:
    """Decision 0025: `<EVENTS>` in the prompt adds the authored events of the request's range,
    in its timecodes; a prompt without it gets the two tables alone."""
    stand_in.register(
        **answer_of(KEYNOTE),
        events=KEYNOTE["events"],
        duration_s=KEYNOTE["duration_s"],
        has_video=True,
        uri=KEYNOTE_URI,
    )

    client = vertex(stand_in.url)  # kept: a client nobody holds is closed

    def ask(part: types.Part, prompt: str) -> str:
        response = client.models.generate_content(model=MODEL, contents=[part, prompt])
        return response.text or ""

    clip = ask(video_clip(KEYNOTE_URI, "550s", "600s"), "Then the <EVENTS></EVENTS> table.")
    got = parse_text(clip)
    assert got.complete and got.issues == []
    assert [(e.start_ms, e.end_ms, e.kind) for e in got.events or []] == [(5000, 8000, "applause")]
    assert stand_in.calls()[-1]["events"] == 1
    whole = parse_text(ask(types.Part.from_uri(file_uri=KEYNOTE_URI, mime_type="video/mp4"), "?"))
    assert whole.events is None and "events" not in stand_in.calls()[-1]
