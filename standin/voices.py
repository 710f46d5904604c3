"""What a model answers to the voices pass (functions/format/voices.py): which voices, each heard
in a labelled snippet, are one person. The stand-in knows who speaks where: a snippet is the voice
of the authored row it starts in, and snippets of one authored voice are one person
(docs/standin.md, "The voices pass")."""

from __future__ import annotations

import bisect
import re

from functions.format.parser import parse_text
from functions.format.voices import TAG
from standin.protocol import Media, ModelRequest

_LABEL = re.compile(r"\bVoice (\d{1,4})\b")
ROUNDING_MS = 999  # a snippet starts at a row's start, to the second


def is_voices_pass(request: ModelRequest) -> bool:
    """Several labelled media parts and instructions that ask for the voices table."""
    asks = any(f"<{TAG}>" in text for text in request.texts)
    return asks and len(request.media) > 1 and all(m.label for m in request.media)


def voices_text(authored: str, media: list[Media]) -> str:
    """The table: each labelled voice and the lowest label heard from the same authored voice."""
    rows = parse_text(authored).segments
    starts = [row.start_ms for row in rows]
    heard: dict[int, int | None] = {}  # label → authored voice
    for part in media:
        match = _LABEL.search(part.label or "")
        if match is None:
            continue
        at = bisect.bisect_right(starts, round(part.start_s * 1000) + ROUNDING_MS) - 1
        heard[int(match.group(1))] = rows[at].voice if at >= 0 else None
    lowest: dict[int | None, int] = {}
    for label in sorted(heard):
        lowest.setdefault(heard[label], label)
    lines = [
        f"{label}\t{label if heard[label] is None else lowest[heard[label]]}"
        for label in sorted(heard)
    ]
    return "\n".join([f"<{TAG}>", "voice\tperson", *lines, f"</{TAG}>"]) + "\n"
