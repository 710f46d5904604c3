"""The repetition guard's rules (functions/format/repetition.py): a run of identical rows or of a
cycle of up to four rows, and a phrase looping inside one line; real repetition (a chant, "no, no,
no", "Yes." / "No." a few times) stays below both."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.format.models import Segment
from functions.format.repetition import (
    MAX_CYCLE_ROWS,
    MAX_PHRASE_WORDS,
    PHRASE_FACTOR,
    RowRun,
    looping_phrase,
)


def row(at_s: int, text: str, voice: int | None = 1) -> Segment:
    return Segment(start_ms=at_s * 1000, voice=voice, text=text)


def test_a_run_counts_rows_with_the_same_voice_and_words_wherever_their_timecode() -> None:
    run = RowRun()
    seen = [
        run.see(row(10, "We will win.")),
        run.see(row(10, "we  WILL win")),  # case, spaces and punctuation aside
        run.see(row(14, "We will win!")),  # a moving timecode does not matter
        run.see(row(15, "We will win!", voice=2)),  # another voice breaks the run
        run.see(row(16, "We will win!", voice=2)),
    ]
    assert [r.times for r in seen] == [1, 2, 3, 1, 2] and seen[-1].first_ms == 15_000


def test_a_cycle_of_rows_counts_each_time_through() -> None:
    run = RowRun()
    exchange = [row(n, "Yes." if n % 2 else "No.", voice=1 + n % 2) for n in range(1, 9)]
    seen = [run.see(r) for r in exchange]
    expected = [(2, times) for times in (1, 2, 2, 3, 3, 4)]  # whole times through
    assert [(r.period, r.times) for r in seen[2:]] == expected
    assert seen[-1].first_ms == 1_000 and seen[-1].rows == 6


# distinct rows: (voice, words) never equal across draws of one list
ROWS = st.lists(
    st.tuples(st.integers(1, 4), st.text("abcdefgh", min_size=1, max_size=6)),
    min_size=1,
    max_size=MAX_CYCLE_ROWS,
    unique=True,
)


@settings(max_examples=200, deadline=None)
@given(cycle=ROWS, times=st.integers(1, 30), prefix=st.integers(0, 6))
def test_any_cycle_of_up_to_four_rows_is_counted_whole(
    cycle: list[tuple[int, str]], times: int, prefix: int
) -> None:
    run = RowRun()
    for n in range(prefix):  # rows that repeat nothing
        run.see(row(n, f"before {n}"))
    stream = [(voice, text) for _ in range(times) for voice, text in cycle]
    seen = [run.see(row(100 + n, text, voice)) for n, (voice, text) in enumerate(stream)]
    last = seen[-1]
    if times > 1:
        assert (last.period, last.times, last.first_ms) == (len(cycle), times, 100_000)
    else:
        assert last.rows == 0 and last.times == 1
    assert max(r.times for r in seen) == times


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.integers(0, 10**6), min_size=1, max_size=60, unique=True))
def test_rows_that_repeat_nothing_never_count(rows: list[int]) -> None:
    run = RowRun()
    assert {run.see(row(n, f"row {value}")).times for n, value in enumerate(rows)} == {1}


def test_a_phrase_repeated_far_past_the_row_threshold_is_a_loop() -> None:
    line = "00:10\t1\tSo the answer is " + "no no " * (12 * PHRASE_FACTOR)
    end = looping_phrase(line, repeats=12)
    assert end is not None and line[:end] == "00:10\t1\tSo the answer is" + " no" * 12
    looped = "00:10\t1\tthank you all " + "for coming today " * (12 * PHRASE_FACTOR)
    kept = looped[: looping_phrase(looped, repeats=12)]
    assert kept.count("for coming today") == 12 and kept.startswith("00:10\t1\tthank you all")


def test_real_repetition_is_not_a_loop() -> None:
    assert looping_phrase("00:10\t1\tNo, no, no, no, no! " * 1, repeats=12) is None
    chant = "00:10\t0\t" + "Olé, olé, olé, olé! " * 8  # 32 times: under 12 x 4
    assert looping_phrase(chant, repeats=12) is None
    prose = "00:10\t1\t" + " ".join(f"word{n}" for n in range(2000))
    assert looping_phrase(prose, repeats=12) is None


WORDS = st.lists(
    st.text("abcdefghij", min_size=1, max_size=5),
    min_size=1,
    max_size=MAX_PHRASE_WORDS,
    unique=True,
)


@settings(max_examples=200, deadline=None)
@given(phrase=WORDS, extra=st.integers(0, 40), before=st.integers(0, 30))
def test_any_phrase_looping_at_the_end_of_a_line_is_cut_after_its_first_repeats(
    phrase: list[str], extra: int, before: int
) -> None:
    start = "00:10\t1\t" + "".join(f"w{n} " for n in range(before))
    times = 12 * PHRASE_FACTOR + extra
    line = start + " ".join(phrase * times)
    end = looping_phrase(line, repeats=12)
    assert end is not None and line[:end] == start + " ".join(phrase * 12)


@settings(max_examples=200, deadline=None)
@given(phrase=WORDS, times=st.integers(1, 12 * PHRASE_FACTOR - 1), before=st.integers(0, 30))
def test_a_phrase_repeated_fewer_times_is_not_a_loop(
    phrase: list[str], times: int, before: int
) -> None:
    line = "00:10\t1\t" + "".join(f"w{n} " for n in range(before)) + " ".join(phrase * times)
    assert looping_phrase(line, repeats=12) is None
