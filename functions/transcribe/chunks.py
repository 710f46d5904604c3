"""Cut streamed model text into chunks of complete lines, each with the parser state before it.

A chunk is due every `flush_rows` rows, or after `flush_interval_s` seconds with at least one row
(a slow stream still shows progress; the first rows appear within the interval). Fewer, larger
chunks mean fewer Firestore writes in the store. The last piece, which may end mid-row, goes out
with `finish()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from functions.format.parser import ParserState, StreamParser


@dataclass(frozen=True)
class Chunk:
    state: ParserState
    text: str
    rows: int


class Chunker:
    def __init__(
        self,
        flush_rows: int,
        flush_interval_s: float,
        duration_ms: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.parser = StreamParser(duration_ms)
        self.flush_rows, self.flush_interval_s, self.clock = flush_rows, flush_interval_s, clock
        self.chars = 0
        self._partial = ""
        self._lines: list[str] = []
        self._state = self.parser.state()
        self._rows = 0
        self._last_flush = clock()

    def feed(self, text: str) -> list[Chunk]:
        """Take streamed text; return the chunks now due."""
        self.chars += len(text)
        self._partial += text
        if "\n" not in text:
            return []
        *lines, self._partial = self._partial.split("\n")
        due = []
        for line in lines:
            if not self._lines:
                self._state = self.parser.state()
            self._rows += len(self.parser.feed(line + "\n"))
            self._lines.append(line + "\n")
            if self._rows >= self.flush_rows:
                due.append(self._take())
        if self._rows and self.clock() - self._last_flush >= self.flush_interval_s:
            due.append(self._take())
        return due

    def finish(self) -> Chunk:
        """The rest of the text, the unfinished last line included; the parser is closed."""
        if not self._lines:
            self._state = self.parser.state()
        self._rows += len(self.parser.feed(self._partial, final=True))
        self._lines.append(self._partial)
        self._partial = ""
        return self._take()

    def _take(self) -> Chunk:
        chunk = Chunk(self._state, "".join(self._lines), self._rows)
        self._lines, self._rows = [], 0
        self._last_flush = self.clock()
        return chunk
