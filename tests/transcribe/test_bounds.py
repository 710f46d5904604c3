"""Bounds before work (decision 0020): the declared duration against the probe, the object's
size at the lowest bitrate, the longest media and the most clips taken."""

from __future__ import annotations

import pytest

from functions.core.settings import Settings
from functions.transcribe.bounds import check_clips, measured
from functions.transcribe.media import MediaInfo, MediaRejected
from functions.transcribe.plan import declared_duration_s, parse_overrides

SETTINGS = Settings.model_construct()  # the defaults: 12 h, 100 clips, 1,000 bit/s
MB = 1_000_000


def media(duration_s: float | None) -> MediaInfo:
    return MediaInfo("FLV", "video/x-flv", duration_s, True, True, 1000)


def declared(value: str) -> float | None:
    return declared_duration_s(parse_overrides({"duration": value}, ()))


def test_a_declared_duration_fills_in_for_a_header_without_one() -> None:
    assert measured(media(None), declared("18000"), 10 * MB, SETTINGS).duration_s == 18000
    assert measured(media(None), declared("1:05:00"), 10 * MB, SETTINGS).duration_s == 3900
    assert measured(media(None), None, 10 * MB, SETTINGS).duration_s is None  # one request


def test_the_probe_wins_when_it_knows() -> None:
    assert measured(media(60), declared("20000"), MB, SETTINGS).duration_s == 60


@pytest.mark.parametrize("value", ["-5", "soon", "0"])
def test_an_invalid_declared_duration_is_rejected(value: str) -> None:
    with pytest.raises(MediaRejected, match="duration"):
        declared(value)


def test_a_duration_the_size_cannot_hold_is_rejected() -> None:
    """4 KB hold 33 s at 1,000 bit/s: 20,000 s declared (or in a forged header) is rejected."""
    too_long = r"declared duration, 20,000 s.*MIN_BITRATE.*at most 33 s"
    with pytest.raises(MediaRejected, match=too_long):
        measured(media(None), 20000, 4096, SETTINGS)
    with pytest.raises(MediaRejected, match=r"header's duration, 20,000 s.*MIN_BITRATE"):
        measured(media(20000), None, 4096, SETTINGS)
    assert measured(media(None), 32, 4096, SETTINGS).duration_s == 32


def test_media_longer_than_the_longest_taken_is_rejected() -> None:
    with pytest.raises(MediaRejected, match=r"999,999 s.*43,200 s \(TABSCRIBE_MAX_MEDIA_S\)"):
        measured(media(None), 999_999, 2 * 10**9, SETTINGS)
    assert measured(media(43_200), None, 2 * 10**9, SETTINGS).duration_s == 43_200


def test_more_clips_than_taken_are_rejected() -> None:
    check_clips(100, SETTINGS)
    with pytest.raises(MediaRejected, match=r"101 clips; at most 100.*TABSCRIBE_MAX_CLIPS"):
        check_clips(101, SETTINGS)
