"""Cut streamed model text into chunks of complete lines, each with the parser state before it.

A chunk is due every `flush_rows` rows, or after `flush_interval_s` seconds with at least one row
(a slow stream still shows progress; the first rows appear within the interval). Fewer, larger
chunks mean fewer Firestore writes in the store. The last piece, which may end mid-row, goes out
with `finish()`.

The repetition guard (`functions.format.repetition`, `loop_repeats` > 0) watches the rows: a row
that repeats the row one to four before it (the same row, or a cycle A, B, A, B …) is held back,
not published, until a row comes that repeats nothing; when a row or a cycle comes
`loop_repeats` times in a row, or one line ends in a phrase loop, `feed` drops the repeats (the
first time through the cycle is kept) and raises `RepetitionLoop` so the caller stops the
stream. Nothing published is ever dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from functions.format.models import Issue, Segment
from functions.format.parser import ParserState, StreamParser
from functions.format.repetition import RowRun, looping_phrase
from functions.format.tables import clock

PHRASE_CHECK_CHARS = 400  # an unfinished line is checked for a phrase loop every this many chars
PHRASE_WINDOW_CHARS = 6000  # … over its last this many characters


@dataclass(frozen=True)
class Chunk:
    state: ParserState
    text: str
    rows: int


class RepetitionLoop(Exception):
    """The model is writing the same thing over and over: stop reading. `issue` says what was
    dropped; the repeats were never published; `due`: the chunks that came due before it."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue
        self.due: list[Chunk] = []


class Chunker:
    def __init__(
        self,
        flush_rows: int,
        flush_interval_s: float,
        duration_ms: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        loop_repeats: int = 0,
    ) -> None:
        self.parser = StreamParser(duration_ms)
        self.flush_rows, self.flush_interval_s, self.clock = flush_rows, flush_interval_s, clock
        self.loop_repeats = loop_repeats
        self.chars = 0
        self._partial = ""
        self._checked = 0  # length of the unfinished line at its last phrase check
        self._lines: list[str] = []
        self._line_rows: list[int] = []  # rows in each line of `_lines`
        self._segment_lines: list[int] = []  # the line in `_lines` of each watched row
        self._state = self.parser.state()  # before the first line of `_lines`
        self._rows = 0  # rows in `_lines`
        self._held: int | None = None  # lines from here wait: a run of repeated rows
        self._run = RowRun()
        self._last_flush = clock()

    def feed(self, text: str) -> list[Chunk]:
        """Take streamed text; return the chunks now due (raises `RepetitionLoop`)."""
        self.chars += len(text)
        self._partial += text
        due: list[Chunk] = []
        try:
            if "\n" in text:
                *lines, self._partial = self._partial.split("\n")
                self._checked = 0
                for line in lines:
                    self._add(line + "\n")
                    if self._ready() >= self.flush_rows:
                        due.append(self._take())
                if self._ready() and self.clock() - self._last_flush >= self.flush_interval_s:
                    due.append(self._take())
            self._check_phrase()
        except RepetitionLoop as loop:
            loop.due = due
            raise
        return due

    def finish(self) -> Chunk:
        """The rest of the text, the unfinished last line included; the parser is closed."""
        self._held = None
        self._add(self._partial, final=True)
        self._partial = ""
        return self._take()

    def cut(self) -> Chunk:
        """The complete lines not yet taken (held repeats too): the output was cut off and a
        continuation writes its unfinished last line again."""
        self._held, self._partial = None, ""
        return self._take()

    def _add(self, line: str, final: bool = False) -> None:
        if not self._lines:
            self._state = self.parser.state()
        rows = self.parser.feed(line, final=final)
        self._lines.append(line)
        self._line_rows.append(len(rows))
        self._rows += len(rows)
        for row in rows:
            if isinstance(row, Segment) and self.loop_repeats and not final:
                self._watch(row)

    def _watch(self, row: Segment) -> None:
        repeat = self._run.see(row)
        self._segment_lines.append(len(self._lines) - 1)
        self._held = self._segment_lines[-repeat.rows] if repeat.rows else None
        if repeat.times < self.loop_repeats:
            return
        assert self._held is not None
        self._drop_from(self._held)
        self._partial = ""
        if repeat.period == 1:
            what = f"the row at {clock(repeat.first_ms)} ({row.text[:60]!r})"
        else:
            what = f"the cycle of {repeat.period} rows from {clock(repeat.first_ms)}"
        raise RepetitionLoop(
            Issue(
                code="repetition_loop",
                message=(
                    f"{what} came {repeat.times} times in a row, up to {clock(row.start_ms)}: "
                    "the model was looping; the repeats were dropped and the stream stopped"
                ),
            )
        )

    def _drop_from(self, line: int) -> None:
        """Forget the lines from `line` on: the repeats of a loop."""
        self._rows -= sum(self._line_rows[line:])
        del self._lines[line:], self._line_rows[line:]
        self._segment_lines = [n for n in self._segment_lines if n < line]
        self._held = None

    def _check_phrase(self) -> None:
        """A phrase loop inside the unfinished line: keep its first repeats, stop."""
        if not self.loop_repeats or len(self._partial) - self._checked < PHRASE_CHECK_CHARS:
            return
        self._checked = len(self._partial)
        words_end = max(self._partial.rfind(" "), 0)  # the last word may still be growing
        start = max(words_end - PHRASE_WINDOW_CHARS, 0)
        end = looping_phrase(self._partial[start:words_end], self.loop_repeats)
        if end is None:
            return
        self._partial = self._partial[: start + end] + "\n"  # a whole row: the store keeps it
        message = (
            f"a line ending {self._partial[-61:-1]!r} repeated one phrase over and over: the "
            "model was looping; the repeats were dropped and the stream stopped"
        )
        raise RepetitionLoop(Issue(code="repetition_loop", message=message))

    def _ready(self) -> int:
        """Rows that may go out now (the held ones wait)."""
        return self._rows - (sum(self._line_rows[self._held :]) if self._held is not None else 0)

    def _take(self) -> Chunk:
        """The lines before the held ones (all of them if none is held)."""
        if self._held is None:
            chunk = Chunk(self._state, "".join(self._lines), self._rows)
            self._lines, self._line_rows, self._segment_lines, self._rows = [], [], [], 0
        else:
            held = self._held
            chunk = Chunk(self._state, "".join(self._lines[:held]), self._ready())
            del self._lines[:held], self._line_rows[:held]
            self._segment_lines = [n - held for n in self._segment_lines if n >= held]
            self._state, self._rows, self._held = self._state_after(chunk), sum(self._line_rows), 0
        self._last_flush = self.clock()
        return chunk

    def _state_after(self, chunk: Chunk) -> ParserState:
        """The parser's state after `chunk` (replayed: only when a run of repeats is held back)."""
        replay = StreamParser(state=chunk.state)
        replay.feed(chunk.text)
        return replay.state()
