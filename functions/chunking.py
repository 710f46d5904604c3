"""Cut streamed model output into `ResultChunk` texts: complete lines, each chunk with the parser
state before its first line, so the store can parse every chunk on its own (docs/messages.md).

    chunker = Chunker(rows=100, first_rows=25)
    for piece in stream:
        for state, text in chunker.feed(piece):
            publish(seq, state, text)          # seq = 0, 1, 2, …
    state, text = chunker.close()              # the final chunk (may be empty, may end mid-line)
"""

from __future__ import annotations

from functions.parser import ParserState, StreamParser

Piece = tuple[ParserState, str]


class Chunker:
    """Yield a chunk after every `rows` complete table rows (`first_rows` for the first chunk, so
    the first segments show quickly), or earlier when `max_chars` would be exceeded; `flush()` cuts
    on demand (a timer), `close()` returns the rest as the final chunk."""

    def __init__(
        self,
        rows: int = 100,
        first_rows: int | None = None,
        max_chars: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        if rows < 1 or (first_rows is not None and first_rows < 1):
            raise ValueError("rows must be >= 1")
        self._rows_per_chunk, self._first_rows, self._max_chars = rows, first_rows, max_chars
        self._parser = StreamParser(duration_ms)
        self._state = self._parser.state()  # the state before the first pending line
        self._lines: list[str] = []
        self._chars = 0
        self._rows = 0
        self._partial = ""
        self._emitted = 0
        self._closed = False

    @property
    def _threshold(self) -> int:
        if self._emitted == 0 and self._first_rows is not None:
            return self._first_rows
        return self._rows_per_chunk

    def feed(self, text: str) -> list[Piece]:
        """Add streamed text; return the chunks it completed (usually none or one)."""
        if self._closed:
            raise RuntimeError("feed() after close()")
        self._partial += text
        if "\n" not in text:
            return []
        *lines, self._partial = self._partial.split("\n")
        pieces: list[Piece] = []
        for line in lines:
            line += "\n"
            if self._max_chars and self._lines and self._chars + len(line) > self._max_chars:
                pieces.append(self._cut())
            self._lines.append(line)
            self._chars += len(line)
            self._rows += len(self._parser.feed(line))
            if self._rows >= self._threshold:
                pieces.append(self._cut())
        return pieces

    def flush(self) -> Piece | None:
        """Cut the complete lines so far into a chunk (None if there are none)."""
        return self._cut() if self._lines else None

    def close(self) -> Piece:
        """The final chunk: every remaining line, including an unfinished last one."""
        self._closed = True
        state = self._state
        text = "".join(self._lines) + self._partial
        self._lines, self._partial = [], ""
        return state, text

    def _cut(self) -> Piece:
        piece = (self._state, "".join(self._lines))
        self._state = self._parser.state()
        self._lines, self._chars, self._rows = [], 0, 0
        self._emitted += 1
        return piece
