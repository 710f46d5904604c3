"""Bounds before work (decision 0020): how long media may be and into how many clips it may be
cut, checked before any model call. The probe's duration wins when the header tells one; else
the uploader's declared one stands in. Either must fit the object's size at the lowest bitrate
taken, and the longest media taken; anything past a bound is rejected with the bound named.
"""

from __future__ import annotations

from dataclasses import replace

from functions.core.settings import Settings
from functions.transcribe.media import MediaInfo, MediaRejected


def measured(
    media: MediaInfo, declared_s: float | None, size: int | None, settings: Settings
) -> MediaInfo:
    """The media with its length: the header's, else the declared one (None: neither tells),
    within the bounds."""
    duration = media.duration_s if media.duration_s is not None else declared_s
    if duration is None:
        return media
    told = "its header's" if media.duration_s is not None else "the declared"
    most_s = (size or 0) * 8 / settings.min_bitrate_bps
    if duration > most_s:
        raise MediaRejected(
            f"{told} duration, {duration:,.0f} s, is more than {size or 0:,} bytes hold at the "
            f"lowest bitrate taken ({settings.min_bitrate_bps:,.0f} bit/s, "
            f"TABSCRIBE_MIN_BITRATE_BPS): at most {most_s:,.0f} s"
        )
    if duration > settings.max_media_s:
        raise MediaRejected(
            f"{told} duration, {duration:,.0f} s, is longer than the longest media taken, "
            f"{settings.max_media_s:,.0f} s (TABSCRIBE_MAX_MEDIA_S)"
        )
    return media if duration == media.duration_s else replace(media, duration_s=duration)


def check_clips(count: int, settings: Settings) -> None:
    """A clip plan of at most `max_clips` clips."""
    if count > settings.max_clips:
        raise MediaRejected(
            f"the media would be cut into {count} clips; at most {settings.max_clips} are "
            "taken (TABSCRIBE_MAX_CLIPS)"
        )
