"""The clip plan: media longer than a threshold becomes clips with overlap, one request each.

Every clip is a request on the same object through offsets (no re-encoding, no copies). The K
clips are of equal length (to the whole second), so the longest, which sets the wall time of the
fan-out, is as short as the settings allow; consecutive clips share `overlap_s` seconds, which
the merge (`functions.format.merge`) cuts so each moment is transcribed once.
docs/decisions/0010-long-media-clips.md argues the defaults.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


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
    duration_s: float | None, clip_s: float, overlap_s: float, threshold_s: float
) -> list[ClipRange]:
    """The clips of media of `duration_s`; none (one request, as for any short media) when its
    length is unknown or at most `threshold_s`."""
    if duration_s is None or duration_s <= threshold_s:
        return []
    count = math.ceil((duration_s - overlap_s) / (clip_s - overlap_s))
    length = (duration_s + (count - 1) * overlap_s) / count
    total_ms = round(duration_s * 1000)
    clips = []
    for index in range(count):
        # whole seconds: a clip's timecodes (MM:SS) relative to its start then land exactly
        start = math.floor(index * (length - overlap_s)) * 1000
        end = total_ms if index == count - 1 else start + math.ceil(length) * 1000
        clips.append(ClipRange(index=index, start_ms=start, end_ms=min(end, total_ms)))
    return clips
