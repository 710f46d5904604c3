"""The request plan: model facts from the catalog, resolution, frame rate, offsets, output
budget, thinking, location and MIME name per mode, and token fit."""

from __future__ import annotations

import itertools

import pytest
from google.genai import types

from functions.core.catalog import Mode, catalog
from functions.core.settings import Settings, SettingsError, get_settings
from functions.format.merge import ClipAnswer, check_plan
from functions.transcribe import gemini
from functions.transcribe.clips import plan_clips, plan_for
from functions.transcribe.media import MediaInfo, MediaRejected
from functions.transcribe.plan import (
    Overrides,
    Plan,
    make_plan,
    parse_overrides,
)

ALLOWED = tuple(catalog().served())
DEFAULT = catalog().default  # a Gemini 3 model


def media(duration_s: float | None, video: bool = True, mime: str = "video/mp4") -> MediaInfo:
    return MediaInfo("MP4", mime if video else "audio/mp3", duration_s, video, True, 1000)


def plan(
    info: MediaInfo,
    model: str = DEFAULT,
    overrides: Overrides | None = None,
    mode: Mode = "vertex",
    location: str = "us-central1",
) -> Plan:
    return make_plan(info, model, overrides or Overrides(), mode, location)


@pytest.fixture
def served_2x(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 2.x rules apply to any 2.x model the catalog lists as served; none is today."""
    for model_id in ("gemini-2.5-flash", "gemini-2.5-pro"):
        model = catalog().models[model_id]
        monkeypatch.setitem(catalog().models, model_id, model.model_copy(update={"shutdown": None}))


@pytest.mark.usefixtures("served_2x")
def test_2x_short_video_gets_medium_resolution_and_seed_001_settings() -> None:
    got = plan(media(59), "gemini-2.5-flash")
    assert (got.media_resolution, got.timecode_format) == ("medium", "MM:SS")
    assert (got.temperature, got.top_p, got.seed) == (0.0, 0.0, 42)
    assert got.thinking_budget == 0 and got.thinking_level is None
    assert got.max_output_tokens == 65_536
    # 59 frames x 258 + 59 s x 32 + prompt
    assert got.estimated_input_tokens == 59 * 258 + 59 * 32 + 1000


@pytest.mark.usefixtures("served_2x")
def test_2x_long_video_gets_low_resolution_and_hour_timecodes() -> None:
    got = plan(media(2 * 3600), "gemini-2.5-flash")
    assert (got.media_resolution, got.timecode_format) == ("low", "H:MM:SS")


@pytest.mark.usefixtures("served_2x")
def test_2x_pro_keeps_minimal_thinking() -> None:
    assert plan(media(60), "gemini-2.5-pro").thinking_budget == 128


@pytest.mark.usefixtures("served_2x")
def test_2x_medium_that_does_not_fit_falls_back_to_low() -> None:
    duration = 90 * 60  # 5400 frames x 258 > 1M; x 66 fits
    assert catalog().context_window < 5400 * 258
    assert plan(media(duration), "gemini-2.5-flash").media_resolution == "low"


def test_gemini_3_reads_names_at_high_resolution_with_low_thinking_and_default_sampling() -> None:
    got = plan(media(60))
    assert got.thinking_level == "LOW" and got.thinking_budget is None
    assert got.temperature is None and got.top_p is None and got.seed is None
    assert got.media_resolution == "high"
    assert got.estimated_input_tokens == 60 * 280 + 60 * 32 + 1000


def test_gemini_3_falls_back_to_low_resolution_where_high_does_not_fit() -> None:
    got = plan(media(2 * 3600))  # 7200 frames x 280 > 1M; x 70 fits
    assert (got.media_resolution, got.timecode_format) == ("low", "H:MM:SS")
    assert got.estimated_input_tokens == 7200 * 70 + 7200 * 32 + 1000


def test_a_clip_is_read_at_the_resolution_of_its_whole_range() -> None:
    """Clipping changes the speed, not what the model sees: a 10-minute clip of 100 minutes is
    read at low, as the whole would be, and one of 30 minutes at high."""
    clip = Overrides(start="600", end="1200")
    long_clip = make_plan(media(6000), DEFAULT, clip, "vertex", "global", resolution_of_s=6000)
    assert long_clip.media_resolution == "low" and long_clip.duration_s == 600
    assert long_clip.estimated_input_tokens == 600 * 70 + 600 * 32 + 1000
    short_clip = make_plan(media(1800), DEFAULT, clip, "vertex", "global", resolution_of_s=1800)
    assert short_clip.media_resolution == "high"
    assert plan(media(6000), overrides=clip).media_resolution == "high"  # alone, it would fit


def test_vertex_location_comes_from_the_catalog() -> None:
    assert plan(media(60)).location == "global"  # the 3.x previews are served only there
    assert plan(media(60), mode="developer").location is None


def test_mime_names_follow_the_api_in_use() -> None:
    mov = media(60, mime="video/mov")
    assert plan(mov).mime_type == "video/quicktime"
    assert plan(mov, mode="developer").mime_type == "video/mov"
    with pytest.raises(MediaRejected, match="Vertex AI does not accept video/avi"):
        plan(media(60, mime="video/avi"))
    assert plan(media(60, mime="video/avi"), mode="developer").mime_type == "video/avi"


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-9-foo"])
def test_a_model_not_served_is_rejected(model: str) -> None:
    with pytest.raises(MediaRejected, match=model):
        plan(media(60), model)


def test_audio_only_costs_audio_tokens_only() -> None:
    got = plan(media(8 * 3600, video=False))
    assert got.estimated_input_tokens == 8 * 3600 * 32 + 1000
    assert got.fps is None


def test_too_long_for_the_context_window_is_rejected() -> None:
    with pytest.raises(MediaRejected, match="too long for one request"):
        plan(media(5 * 3600))
    with pytest.raises(MediaRejected, match="too long"):
        plan(media(10 * 3600, video=False))


def test_events_asked_change_no_plan() -> None:
    """`events` (decision 0025) changes the prompt only: the request's plan is the same."""
    asked = parse_overrides({"events": "true"}, ALLOWED)
    assert asked.events is True and parse_overrides({}, ALLOWED).events is None
    assert plan(media(600), overrides=asked) == plan(media(600))


def test_overrides_are_applied() -> None:
    overrides = parse_overrides(
        {
            "model": "gemini-3.1-pro-preview",
            "media_resolution": "medium",
            "fps": "2",
            "start": "00:10",
            "end": "95s",
            "title": "ignored here",
        },
        ALLOWED,
    )
    got = plan(media(600), overrides=overrides)
    assert (got.model, got.media_resolution, got.fps) == ("gemini-3.1-pro-preview", "medium", 2.0)
    assert (got.start_s, got.end_s, got.duration_s) == (10.0, 95.0, 85.0)
    assert got.estimated_input_tokens == 170 * 70 + 85 * 32 + 1000


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"model": "gpt-4"}, "not allowed"),
        ({"model": "gemini-2.5-pro"}, "not allowed"),
        ({"media_resolution": "ultra"}, "media_resolution"),
        ({"fps": "30"}, "fps"),
        ({"fps": "zero"}, "fps"),
        ({"events": "maybe"}, "events"),
    ],
)
def test_invalid_overrides_are_rejected(metadata: dict[str, str], message: str) -> None:
    with pytest.raises(MediaRejected, match=message):
        parse_overrides(metadata, ALLOWED)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("later", None, "not a time"), ("60", "30", "must be after"), (None, "900", "past the media")],
)
def test_invalid_offsets_are_rejected(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(MediaRejected, match=message):
        plan(media(600), overrides=Overrides(start=start, end=end))


def test_unknown_duration_still_plans() -> None:
    got = plan(media(None))
    assert got.estimated_input_tokens is None and got.media_resolution == "high"


@pytest.mark.parametrize("duration_s", [901.5, 6000.008, 10800.0, 30000.0])
def test_the_clip_plan_starts_short_then_cuts_equal_overlapping_clips(duration_s: float) -> None:
    clips = plan_for(duration_s, Settings.model_construct())
    assert (clips[0].start_ms, clips[0].end_ms) == (0, 120_000)  # the first rows come early
    assert clips[-1].end_ms == round(duration_s * 1000)
    check_plan([ClipAnswer(c.index, c.start_ms, c.end_ms, [], []) for c in clips])
    for a, b in itertools.pairwise(clips):
        assert 20_000 <= a.end_ms - b.start_ms <= 21_000 and b.start_ms % 1000 == 0
    lengths = [c.end_ms - c.start_ms for c in clips[1:]]
    assert max(lengths) - min(lengths) <= 1_000 and max(lengths) <= 600_000


def test_short_media_is_one_request_and_a_long_first_clip_is_an_equal_one() -> None:
    assert plan_clips(900, 600, 20, 900, 120) == []
    assert plan_clips(None, 600, 20, 900, 120) == []
    equal = plan_clips(6000, 600, 20, 900, 0)
    assert plan_clips(6000, 600, 20, 900, 590) == equal  # no shorter than the equal clips
    assert len({c.end_ms - c.start_ms for c in equal[:-1]}) == 1


def test_a_first_clip_shorter_than_twice_the_overlap_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    monkeypatch.setenv("TABSCRIBE_CLIP_FIRST_S", "30")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="TABSCRIBE_CLIP_FIRST_S"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_media_past_the_models_prompt_length_becomes_clips_whatever_the_threshold() -> None:
    settings = Settings.model_construct(clip_threshold_s=20_000.0)  # a one-request setting
    limits = catalog().models[DEFAULT].limits
    assert plan_for(2_700, settings, limits.media_s(True)) == []  # at the limit: one request
    clips = plan_for(6_000, settings, limits.media_s(True))
    assert clips and max(c.end_ms - c.start_ms for c in clips) <= 600_000
    assert plan_for(3_600, settings, limits.media_s(True, has_audio=False)) == []
    assert plan_for(6_000, settings, limits.media_s(False)) == []  # audio: 8.4 h a prompt


def sent_parts(
    plan_: Plan, count: int, uri: str = "gs://b/o.mp4", length_s: float = 6
) -> list[types.Part]:
    """`count` parts on one object (as the voices pass sent them before its reel), each
    `length_s` long, then the instructions."""
    parts = []
    for n in range(count):
        at = plan_.model_copy(update={"start_s": n * 10.0, "end_s": n * 10.0 + length_s})
        parts.append(gemini.media_part(uri, at))
    return [*parts, types.Part(text="Who is who?")]


class NoCalls:
    """A client that fails the test if a request is made."""

    vertexai = True

    @property
    def models(self) -> object:
        raise AssertionError("a request over a limit was sent")


def refusal(planned: Plan, parts: list[types.Part]) -> str:
    """The reason `gemini.stream` refuses the request with, having made no call."""
    with pytest.raises(gemini.TerminalError) as refused:
        gemini.stream(NoCalls(), planned, parts, print, gemini.StreamResult(), 5)  # type: ignore[arg-type]
    assert refused.value.outcome == "failed"
    return refused.value.reason


def test_a_request_over_a_limit_is_refused_before_any_call() -> None:
    planned = plan(media(6_000))
    assert "11 video files but the model only supports up to 10" in refusal(
        planned, sent_parts(planned, 11)
    )
    whole = plan(media(2_800))  # one part over the video length with sound
    assert "takes at most 2700 s per video on Vertex AI" in refusal(
        whole, gemini.parts("gs://b/o.mp4", whole, "Go.")
    )
    audio = plan(media(600, video=False))
    two = sent_parts(audio, 2, "gs://b/o.mp3", 4)
    assert [p.kind for p in gemini.media_parts(audio, two)] == ["audio", "audio"]
    assert "2 audio files" in refusal(audio, two)


def test_the_media_parts_count_what_each_part_covers() -> None:
    planned = plan(media(6_000))
    assert [p.seconds for p in gemini.media_parts(planned, sent_parts(planned, 3))] == [6.0] * 3
    clip = planned.model_copy(update={"start_s": 100.0, "end_s": None, "duration_s": 500.0})
    assert gemini.media_parts(clip, gemini.parts("u", clip, "Go."))[0].seconds == 500.0
