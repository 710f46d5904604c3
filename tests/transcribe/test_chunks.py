"""Cutting the stream into chunks: complete lines only, state before each, due by rows or time."""

from __future__ import annotations

from functions.format.models import Segment
from functions.format.parser import StreamParser, parse_text
from functions.transcribe.chunks import Chunker
from tests.paths import DATA

TRAILER = (DATA / "trailer.tsv.txt").read_text()


def _chunks(text: str, piece: int, rows: int, clock: list[float] | None = None) -> list:
    ticks = iter(clock) if clock else None
    chunker = Chunker(rows, 5.0, clock=(lambda: next(ticks)) if ticks else lambda: 0.0)
    out = []
    for i in range(0, len(text), piece):
        out += chunker.feed(text[i : i + piece])
    return [*out, chunker.finish()]


def test_chunks_reparse_to_the_whole_result() -> None:
    whole = parse_text(TRAILER)
    for piece in (1, 7, 64, len(TRAILER)):
        chunks = _chunks(TRAILER, piece, rows=4)
        segments = []
        for i, chunk in enumerate(chunks):
            parser = StreamParser(state=chunk.state)
            rows = parser.feed(chunk.text, final=i == len(chunks) - 1)
            segments += [r for r in rows if isinstance(r, Segment)]
        assert [(s.start_ms, s.text) for s in segments] == [
            (s.start_ms, s.text) for s in whole.segments
        ]
        assert "".join(c.text for c in chunks) == TRAILER


def test_a_fast_stream_goes_out_every_n_rows() -> None:
    chunks = _chunks(TRAILER, 16, rows=5)
    assert [c.rows for c in chunks] == [5, 5, 5, 4]  # 13 segments + 6 speakers
    assert all(c.text.endswith("\n") for c in chunks[:-1])


def test_a_slow_stream_flushes_by_time() -> None:
    # the clock advances 10 s per reading: every feed that completes a row is due
    clock = [float(10 * i) for i in range(10_000)]
    chunks = _chunks(TRAILER, 200, rows=1000, clock=clock)
    assert len(chunks) > 3


def test_unfinished_last_row_goes_out_with_finish() -> None:
    text = TRAILER[: TRAILER.index("00:48") + 9]
    chunks = _chunks(text, 50, rows=100)
    assert "".join(c.text for c in chunks) == text
    assert chunks[-1].text.endswith("00:48\t5\tT")
    parser = StreamParser(state=chunks[-1].state)
    parser.feed(chunks[-1].text, final=True)
    assert parser.complete is False
    assert "truncated_row" in {i.code for i in parser.issues}
