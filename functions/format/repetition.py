"""The repetition guard: a model caught in a loop writes the same words until its output limit.

Two shapes, both seen in public reports of Gemini transcription:

- **rows**: the same transcript row (same voice, same words; the timecode may move or not)
  `repeats` times in a row;
- **a phrase**: one line whose end is a phrase of at most `MAX_PHRASE_WORDS` words repeated
  `PHRASE_FACTOR` times `repeats` times in a row (a word written 2,500 times never ends its line).

Real repetition stays below either threshold: a crowd chanting a slogan a few times, a speaker
saying "no, no, no". `RowRun` follows the rows as they are parsed; `looping_phrase` checks a line.
Pure; the transcriber decides what to do (functions/transcribe/chunks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from functions.format.models import Segment

MAX_PHRASE_WORDS = 8
PHRASE_FACTOR = 4  # a phrase loop needs this many times the row threshold in one line
_WORD = re.compile(r"\w+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


@dataclass
class RowRun:
    """The run of identical transcript rows at the end of the stream so far."""

    key: tuple[object, ...] | None = None
    length: int = 0
    first_ms: int = 0  # where the repeated row first starts

    def see(self, segment: Segment) -> int:
        """Take the next transcript row; the length of the run it ends (1: not a repeat)."""
        key = (segment.voice, _words(segment.text))
        if key == self.key and key[1]:
            self.length += 1
        else:
            self.key, self.length, self.first_ms = key, 1, segment.start_ms
        return self.length


def looping_phrase(line: str, repeats: int) -> int | None:
    """Where a phrase loop begins in `line` (a character offset: the line up to there and the
    phrase's first `repeats` occurrences are kept), or None if the line does not end in one."""
    words = [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(line)]
    needed = repeats * PHRASE_FACTOR
    for size in range(1, MAX_PHRASE_WORDS + 1):
        if len(words) < size * needed:
            break
        phrase = [w for _, _, w in words[-size:]]
        count, at = 0, len(words)
        while at >= size and [w for _, _, w in words[at - size : at]] == phrase:
            count, at = count + 1, at - size
        if count >= needed:
            keep = at + size * repeats  # the words before the loop, then `repeats` phrases
            return words[keep - 1][1]
    return None
