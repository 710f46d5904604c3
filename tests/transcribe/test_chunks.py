"""Cutting the stream into chunks: complete lines only, state before each, due by rows or time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.format.models import Segment
from functions.format.parser import StreamParser, parse_text
from functions.transcribe.chunks import Chunker, RepetitionLoop
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


def _transcript(rows: list[str]) -> str:
    return "<TRANSCRIPT>\nstart\tvoice\ttext\n" + "".join(rows)


def _line(n: int) -> str:
    return f"{n // 60:02d}:{n % 60:02d}\t{n % 3 + 1}\tline number {n} says something new\n"


def _published(chunker: Chunker, text: str, piece: int = 40) -> tuple[list, RepetitionLoop | None]:
    """Feed `text` as a stream; the chunks published (those due before a loop included) and the
    loop, if the guard stopped the stream."""
    out = []
    for i in range(0, len(text), piece):
        try:
            out += chunker.feed(text[i : i + piece])
        except RepetitionLoop as loop:
            return [*out, *loop.due, chunker.finish()], loop
    return [*out, chunker.finish()], None


def test_a_looping_stream_stops_and_no_repeat_is_ever_published() -> None:
    rows = [_line(n) for n in range(1, 51)] + [_line(50)] * 500  # row 50, then a loop of it
    chunker = Chunker(7, 5.0, clock=lambda: 0.0, loop_repeats=12)
    chunks, loop = _published(chunker, _transcript(rows))
    assert loop is not None and loop.issue.code == "repetition_loop"
    assert "00:50" in loop.issue.message and "12 times" in loop.issue.message
    assert chunker.chars < len(_transcript(rows[:70]))  # stopped within a few rows of the 12th
    text = "".join(c.text for c in chunks)
    assert text.count("line number 50 ") == 1 and text.endswith(_line(50))
    assert parse_text(text).segments[-1].start_ms == 50_000


def test_a_short_chant_is_held_back_then_published_whole() -> None:
    chant = "00:30\t0\tWe will win!\n"
    rows = [_line(n) for n in range(1, 20)] + [chant] * 5 + [_line(n) for n in range(40, 60)]
    chunker = Chunker(3, 5.0, clock=lambda: 0.0, loop_repeats=12)
    chunks, loop = _published(chunker, _transcript(rows))
    assert loop is None
    assert "".join(c.text for c in chunks) == _transcript(rows)
    held = [c for c in chunks if "We will win" in c.text]
    assert len(held) == 1 and held[0].text.count("We will win") == 5  # one chunk, after the run


def test_a_phrase_loop_in_an_unfinished_line_keeps_its_start() -> None:
    looping = "01:00\t2\tand then " + "again and " * 2000
    chunker = Chunker(5, 5.0, clock=lambda: 0.0, loop_repeats=12)
    chunks, loop = _published(chunker, _transcript([_line(1), looping]), piece=100)
    assert loop is not None and chunker.chars < 12 * 4 * 10 + 2000
    last = parse_text("".join(c.text for c in chunks)).segments[-1]
    assert last.text.startswith("and then again and") and last.text.count("again") == 12


def test_without_the_guard_a_loop_streams_through() -> None:
    rows = [_line(1)] + [_line(2)] * 30
    chunks, loop = _published(Chunker(7, 5.0, clock=lambda: 0.0), _transcript(rows))
    assert loop is None and "".join(c.text for c in chunks) == _transcript(rows)


def _said(n: int, voice: int, text: str) -> str:
    return f"{n // 60:02d}:{n % 60:02d}\t{voice}\t{text}\n"


@settings(max_examples=60, deadline=None)
@given(
    cycle=st.lists(st.integers(0, 99), min_size=1, max_size=4, unique=True),
    moving=st.booleans(),
)
def test_a_cycle_of_up_to_four_rows_is_stopped_within_200_rows_and_kept_once(
    cycle: list[int], moving: bool
) -> None:
    """Issue: an answer alternating A, B, A, B … for 600 rows was kept whole."""
    rows = [_line(n) for n in range(1, 31)]
    loop = [
        _said(30 + (n if moving else k), k % 2 + 1, f"looping phrase {cycle[k]}")
        for n in range(600 // len(cycle))
        for k in range(len(cycle))
    ]
    chunker = Chunker(7, 5.0, clock=lambda: 0.0, loop_repeats=12)
    chunks, stopped = _published(chunker, _transcript(rows + loop))
    assert stopped is not None and stopped.issue.code == "repetition_loop"
    assert chunker.chars < len(_transcript(rows + loop[:170]))  # within 200 rows
    assert "".join(c.text for c in chunks) == _transcript(rows + loop[: len(cycle)])


@settings(max_examples=60, deadline=None)
@given(times=st.integers(2, 11), cycle=st.integers(1, 4), flush=st.integers(1, 9))
def test_an_exchange_repeated_fewer_than_twelve_times_is_published_whole(
    times: int, cycle: int, flush: int
) -> None:
    words = ["Yes.", "No.", "Really?", "Sure."][:cycle]
    exchange = [_said(20 + n, n % 2 + 1, words[n % cycle]) for n in range(times * cycle)]
    rows = [_line(n) for n in range(1, 20)] + exchange + [_line(n) for n in range(60, 70)]
    chunker = Chunker(flush, 5.0, clock=lambda: 0.0, loop_repeats=12)
    chunks, stopped = _published(chunker, _transcript(rows))
    assert stopped is None and "".join(c.text for c in chunks) == _transcript(rows)


def test_yes_and_no_traded_eight_times_is_published_whole() -> None:
    exchange = [_said(40 + n, n % 2 + 1, "Yes." if n % 2 == 0 else "No.") for n in range(16)]
    rows = [_line(n) for n in range(1, 40)] + exchange + [_line(n) for n in range(60, 80)]
    chunker = Chunker(4, 5.0, clock=lambda: 0.0, loop_repeats=12)
    chunks, stopped = _published(chunker, _transcript(rows))
    assert stopped is None and "".join(c.text for c in chunks) == _transcript(rows)
    assert (
        parse_text("".join(c.text for c in chunks)).segments[39 + 16].text
        == "line number 60 says something new"
    )
