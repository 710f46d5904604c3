"""What an upload may be, for the transcriber that reads it and the function that lets it in."""

from __future__ import annotations

from functions.core.catalog import catalog

# The smaller of the two modes' object limits (the catalog's `object_bytes`: Vertex reads gs://
# objects up to 2 GiB - 500 KiB, the Files API takes 2 GB), so an upload fits either mode.
MAX_MEDIA_BYTES = min(catalog().object_bytes.values())

# Uploader context accepted from object metadata, and the cap on each value (characters).
CONTEXT_LIMITS: dict[str, int] = {
    "title": 200,
    "description": 2000,
    "speakers": 1000,
    "glossary": 2000,
    "language": 40,
}

# The lowest average bitrate media is assumed to have, for a bound on a duration nobody declared
# (the bundled Opus samples at 6 kbit/s average 2.3 and 2.9 kbit/s: their silences cost nothing).
MIN_BYTES_PER_S = 250  # 2 kbit/s
BOUND_MOST_S = 12 * 3600.0  # and at most this long: the bound reserves a day's caps, no more


def duration_bound_s(size: int) -> float:
    """How long `size` bytes of media may play: at `MIN_BYTES_PER_S`, at most `BOUND_MOST_S`."""
    return min(size / MIN_BYTES_PER_S, BOUND_MOST_S)
