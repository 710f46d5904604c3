"""The repetition guard: a model caught in a loop writes the same words until its output limit.

Two shapes, both seen in public reports of Gemini transcription:

- **rows**: the same transcript row (same voice, same words; the timecode may move or not), or a
  cycle of up to `MAX_CYCLE_ROWS` rows (A, B, A, B …), `repeats` times in a row;
- **a phrase**: one line whose end is a phrase of at most `MAX_PHRASE_WORDS` words repeated
  `PHRASE_FACTOR` times `repeats` times in a row (a word written 2,500 times never ends its line).

Real repetition stays below either threshold: a crowd chanting a slogan a few times, a speaker
saying "no, no, no", two people trading "Yes." and "No." a few times. `RowRun` follows the rows
as they are parsed; `looping_phrase` checks a line. Pure; the transcriber decides what to do
(functions/transcribe/chunks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from functions.format.models import Segment

MAX_CYCLE_ROWS = 4  # the longest cycle of rows the guard follows
CYCLES = range(1, MAX_CYCLE_ROWS + 1)
MAX_PHRASE_WORDS = 8
PHRASE_FACTOR = 4  # a phrase loop needs this many times the row threshold in one line
_WORD = re.compile(r"\w+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


@dataclass(frozen=True)
class Repeat:
    """The repeating rows at the end of the stream: `rows` of them repeat the cycle of `period`
    rows before them, which has come `times` times in a row (whole), from `first_ms` on."""

    period: int = 1
    rows: int = 0
    first_ms: int = 0

    @property
    def times(self) -> int:
        return (self.rows + self.period) // self.period


@dataclass
class RowRun:
    """Follows the transcript rows: for each cycle length up to `MAX_CYCLE_ROWS`, how many rows
    in a row equal the row that many before them."""

    recent: list[tuple[tuple[object, ...], int]] = field(default_factory=list)  # key, start
    runs: list[Repeat] = field(default_factory=lambda: [Repeat(p) for p in CYCLES])

    def see(self, segment: Segment) -> Repeat:
        """Take the next transcript row; the longest repeat it continues (`rows` 0: none)."""
        key = (segment.voice, _words(segment.text))
        runs = []
        for run in self.runs:
            p = run.period
            if key[1] and len(self.recent) >= p and self.recent[-p][0] == key:
                first = run.first_ms if run.rows else self.recent[-p][1]
                runs.append(Repeat(p, run.rows + 1, first))
            else:
                runs.append(Repeat(p))
        self.runs = runs
        self.recent = [*self.recent, (key, segment.start_ms)][-MAX_CYCLE_ROWS:]
        return max(runs, key=lambda run: (run.rows, -run.period))


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
