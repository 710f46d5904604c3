"""The request plan: resolution, frame rate, offsets, output budget, thinking, and token fit."""

from __future__ import annotations

import pytest

from functions.transcribe.media import MediaInfo, MediaRejected
from functions.transcribe.plan import (
    CONTEXT_WINDOW,
    Overrides,
    make_plan,
    parse_overrides,
    with_declared_duration,
)

ALLOWED = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-flash-preview")


def media(duration_s: float | None, video: bool = True) -> MediaInfo:
    return MediaInfo("MP4", "video/mp4", duration_s, video, True, 1000)


def test_short_video_gets_medium_resolution_and_seed_001_settings() -> None:
    plan = make_plan(media(59), "gemini-2.5-flash", Overrides())
    assert (plan.media_resolution, plan.timecode_format) == ("medium", "MM:SS")
    assert (plan.temperature, plan.top_p, plan.seed) == (0.0, 0.0, 42)
    assert plan.thinking_budget == 0 and plan.max_output_tokens == 65_536
    # 59 frames x 258 + 59 s x 32 + prompt
    assert plan.estimated_input_tokens == 59 * 258 + 59 * 32 + 1000


def test_long_video_gets_low_resolution_and_hour_timecodes() -> None:
    plan = make_plan(media(2 * 3600), "gemini-2.5-flash", Overrides())
    assert (plan.media_resolution, plan.timecode_format) == ("low", "H:MM:SS")


def test_gemini_3_uses_thinking_level_and_default_sampling() -> None:
    plan = make_plan(media(60), "gemini-3-flash-preview", Overrides())
    assert plan.thinking_level == "low" and plan.thinking_budget is None
    assert plan.temperature is None and plan.seed is None
    assert plan.estimated_input_tokens == 60 * 70 + 60 * 32 + 1000


def test_pro_keeps_minimal_thinking() -> None:
    assert make_plan(media(60), "gemini-2.5-pro", Overrides()).thinking_budget == 128


def test_audio_only_costs_audio_tokens_only() -> None:
    plan = make_plan(media(8 * 3600, video=False), "gemini-2.5-flash", Overrides())
    assert plan.estimated_input_tokens == 8 * 3600 * 32 + 1000
    assert plan.fps is None


def test_too_long_for_the_context_window_is_rejected() -> None:
    with pytest.raises(MediaRejected, match="too long for one request"):
        make_plan(media(5 * 3600), "gemini-2.5-flash", Overrides())
    with pytest.raises(MediaRejected, match="too long"):
        make_plan(media(10 * 3600, video=False), "gemini-2.5-flash", Overrides())


def test_medium_that_does_not_fit_falls_back_to_low() -> None:
    duration = 90 * 60  # 5400 frames x 258 > 1M; x 66 fits
    assert CONTEXT_WINDOW < 5400 * 258
    assert make_plan(media(duration), "gemini-2.5-flash", Overrides()).media_resolution == "low"


def test_overrides_are_applied() -> None:
    overrides = parse_overrides(
        {
            "model": "gemini-2.5-pro",
            "media_resolution": "high",
            "fps": "2",
            "start": "00:10",
            "end": "95s",
            "title": "ignored here",
        },
        ALLOWED,
    )
    plan = make_plan(media(600), "gemini-2.5-flash", overrides)
    assert (plan.model, plan.media_resolution, plan.fps) == ("gemini-2.5-pro", "high", 2.0)
    assert (plan.start_s, plan.end_s, plan.duration_s) == (10.0, 95.0, 85.0)
    assert plan.estimated_input_tokens == 170 * 258 + 85 * 32 + 1000


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"model": "gpt-4"}, "not allowed"),
        ({"media_resolution": "ultra"}, "media_resolution"),
        ({"fps": "30"}, "fps"),
        ({"fps": "zero"}, "fps"),
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
        make_plan(media(600), "gemini-2.5-flash", Overrides(start=start, end=end))


def test_unknown_duration_still_plans() -> None:
    plan = make_plan(media(None), "gemini-2.5-flash", Overrides())
    assert plan.estimated_input_tokens is None and plan.media_resolution == "medium"


def test_a_declared_duration_fills_in_for_a_header_without_one() -> None:
    overrides = parse_overrides({"duration": "18000"}, ALLOWED)  # five hours
    assert with_declared_duration(media(None), overrides).duration_s == 18000
    assert with_declared_duration(media(60), overrides).duration_s == 60  # the header wins
    with pytest.raises(MediaRejected, match="too long"):
        make_plan(with_declared_duration(media(None), overrides), "gemini-2.5-flash", overrides)
    as_timecode = parse_overrides({"duration": "1:05:00"}, ALLOWED)
    assert with_declared_duration(media(None), as_timecode).duration_s == 3900


@pytest.mark.parametrize("value", ["-5", "soon", "0"])
def test_an_invalid_declared_duration_is_rejected(value: str) -> None:
    with pytest.raises(MediaRejected, match="duration"):
        with_declared_duration(media(60), parse_overrides({"duration": value}, ALLOWED))
