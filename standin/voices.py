"""What a model answers to the voices pass (docs/format.md, "The voices pass"): which voices, each
heard in one snippet of a reel, are one person. The request sends the reel as its one media part
and lists its snippets (`<SNIPPETS>`: the place in the reel, the voice number, the name, the
time in the recording, the words said). The stand-in hears a snippet as a model would: by the
recording it comes from and the words said there. It finds the registered recording whose
authored rows say the listed words at the listed times; a snippet is the voice of the authored
row it starts in, and snippets of one authored voice are one person (docs/standin.md, "The
voices pass")."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from standin.authored import Row
from standin.protocol import ModelRequest
from standin.registry import Entry

ANSWER_TAG = "SAME_PERSON"
_LISTING = re.compile(r"<SNIPPETS>\n(.*?)</SNIPPETS>", re.DOTALL)
_TIME = r"(?:\d+:)?\d{1,3}:\d\d"
_ROW = re.compile(rf"^({_TIME})-({_TIME})\t(\d{{1,4}})\t[^\t]*\t({_TIME})\t(.*)$")
_WORD = re.compile(r"\w+")
ROUNDING_MS = 999  # a snippet starts at a row's start, to the second
WORDS_HEARD = 5  # the first words of a snippet, enough to know the row


@dataclass(frozen=True)
class Listed:
    """One snippet of the reel: its place in the reel (seconds), its voice number, where it
    starts in the recording (ms) and its words."""

    reel_start_s: int
    reel_end_s: int
    voice: int
    start_ms: int
    text: str


def listing(request: ModelRequest) -> list[Listed]:
    """The snippets the request lists, in order (none: it lists none)."""
    found = next((m for t in request.texts if (m := _LISTING.search(t))), None)
    rows = [_ROW.match(line) for line in found.group(1).splitlines()] if found else []
    return [
        Listed(_seconds(m[1]), _seconds(m[2]), int(m[3]), _seconds(m[4]) * 1000, m[5])
        for m in rows
        if m
    ]


def is_voices_pass(request: ModelRequest) -> bool:
    """One media part (the reel), a listing of its snippets, and the ask for the voices table."""
    asks = any(f"<{ANSWER_TAG}>" in text for text in request.texts)
    return asks and len(request.media) == 1 and bool(listing(request))


def recording(entries: Sequence[Entry], listed: Sequence[Listed]) -> Entry | None:
    """The registered recording the snippets were cut from: the one whose authored rows say the
    most snippets' words at their times (at least half of them)."""
    scored = [(sum(_heard(e.rows, s) is not None for s in listed), e) for e in entries]
    best = max(scored, key=lambda found: found[0], default=(0, None))
    return best[1] if best[0] * 2 >= len(listed) > 0 else None


def reel_s(listed: Sequence[Listed]) -> float:
    """The reel's length as the listing places its snippets."""
    return float(max((s.reel_end_s for s in listed), default=0))


def voices_text(entry: Entry, listed: Sequence[Listed]) -> str:
    """The table: each listed voice and the lowest voice heard from the same authored voice
    (a recording registered as text has no rows: every voice its own person)."""
    heard = {s.voice: _voice(_heard(entry.rows, s)) for s in listed}  # voice → authored voice
    lowest: dict[int | None, int] = {}
    for voice in sorted(heard):
        lowest.setdefault(heard[voice], voice)
    lines = [
        f"{voice}\t{voice if heard[voice] is None else lowest[heard[voice]]}"
        for voice in sorted(heard)
    ]
    return "\n".join([f"<{ANSWER_TAG}>", "voice\tperson", *lines, f"</{ANSWER_TAG}>"]) + "\n"


def _heard(rows: Sequence[Row], snippet: Listed) -> Row | None:
    """The authored row the snippet starts in, if it says the snippet's first words."""
    at = bisect.bisect_right([r.start_ms for r in rows], snippet.start_ms + ROUNDING_MS) - 1
    if at < 0:
        return None
    words = _WORD.findall(snippet.text.casefold())[:WORDS_HEARD]
    said = _WORD.findall(rows[at].text.casefold())[: len(words)]
    return rows[at] if words and said == words else None


def _voice(row: Row | None) -> int | None:
    return row.voice if row is not None else None


def _seconds(timecode: str) -> int:
    total = 0
    for part in timecode.split(":"):
        total = total * 60 + int(part)
    return total
