"""The clip plan: media longer than a threshold becomes clips with overlap, one request each.

Every clip is a request on the same object through offsets (no re-encoding, no copies). The first
clip is short (`first_s`), so the first rows show within seconds of the upload; the others are
of equal length (to the whole second), so the longest, which sets the wall time of the fan-out,
is as short as the settings allow; consecutive clips share `overlap_s` seconds, which the merge
(`functions.format.merge`) cuts so each moment is transcribed once. Media longer than the model
takes in one prompt (the catalog's `limits`) becomes clips whatever the threshold says.
docs/decisions/0010-long-media-clips.md argues the defaults.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from functions.core.settings import Settings


class ClipRange(BaseModel):
    """One clip of the media: `index` in the plan, its start and end in the whole media."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = Field(ge=0)
    start_ms: int = Field(ge=0)
    end_ms: int = Field(gt=0)

    @property
    def start_s(self) -> float:
        return self.start_ms / 1000

    @property
    def end_s(self) -> float:
        return self.end_ms / 1000


def plan_clips(
    duration_s: float | None,
    clip_s: float,
    overlap_s: float,
    threshold_s: float,
    first_s: float = 0.0,
) -> list[ClipRange]:
    """The clips of media of `duration_s`; none (one request, as for any short media) when its
    length is unknown or at most `threshold_s`. A `first_s` shorter than the equal clips would be
    makes a short first clip (0: all equal)."""
    if duration_s is None or duration_s <= threshold_s:
        return []
    spans = _equal(duration_s, clip_s, overlap_s)
    lead_ms = math.floor(first_s) * 1000
    if 0 < lead_ms < spans[0][1]:
        shift_ms = lead_ms - math.ceil(overlap_s) * 1000  # the next clip starts inside the first
        rest = _equal(duration_s - shift_ms / 1000, clip_s, overlap_s)
        spans = [(0, lead_ms), *((start + shift_ms, end + shift_ms) for start, end in rest)]
    return [ClipRange(index=n, start_ms=start, end_ms=end) for n, (start, end) in enumerate(spans)]


def plan_for(
    duration_s: float | None, settings: Settings, most_s: float = math.inf
) -> list[ClipRange]:
    """The clip plan the settings make for media of `duration_s`; `most_s`: the longest media
    the model takes in one prompt (`Limits.media_s`), which caps the threshold (the settings
    keep `clip_s` within it)."""
    return plan_clips(
        duration_s,
        settings.clip_s,
        settings.clip_overlap_s,
        min(settings.clip_threshold_s, most_s),
        settings.clip_first_s,
    )


def _equal(duration_s: float, clip_s: float, overlap_s: float) -> list[tuple[int, int]]:
    """(start, end) ms of equal clips near `clip_s` covering `duration_s`, on whole seconds."""
    count = max(math.ceil((duration_s - overlap_s) / (clip_s - overlap_s)), 1)
    length = (duration_s + (count - 1) * overlap_s) / count
    total_ms = round(duration_s * 1000)
    spans = []
    for index in range(count):
        # whole seconds: a clip's timecodes (MM:SS) relative to its start then land exactly
        start = math.floor(index * (length - overlap_s)) * 1000
        end = total_ms if index == count - 1 else start + math.ceil(length) * 1000
        spans.append((start, min(end, total_ms)))
    return spans
