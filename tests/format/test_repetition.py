"""The repetition guard's rules (functions/format/repetition.py): a run of identical rows, and a
phrase looping inside one line; real repetition (a chant, "no, no, no") stays below both."""

from __future__ import annotations

from functions.format.models import Segment
from functions.format.repetition import PHRASE_FACTOR, RowRun, looping_phrase


def row(at_s: int, text: str, voice: int | None = 1) -> Segment:
    return Segment(start_ms=at_s * 1000, voice=voice, text=text)


def test_a_run_counts_rows_with_the_same_voice_and_words_wherever_their_timecode() -> None:
    run = RowRun()
    lengths = [
        run.see(row(10, "We will win.")),
        run.see(row(10, "we  WILL win")),  # case, spaces and punctuation aside
        run.see(row(14, "We will win!")),  # a moving timecode does not matter
        run.see(row(15, "We will win!", voice=2)),  # another voice breaks the run
        run.see(row(16, "We will win!", voice=2)),
    ]
    assert lengths == [1, 2, 3, 1, 2] and run.first_ms == 15_000


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
