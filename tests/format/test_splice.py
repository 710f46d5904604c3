"""The continuation splice (functions/format/splice.py): each rule, through the run's output as the
store reads it (each piece parsed alone from the state the writer gave it)."""

from __future__ import annotations

import pytest

from functions.format.models import Event, Segment, Speaker
from functions.format.parser import StreamParser
from functions.format.splice import HOLD_ROWS, Cut, Splice, Writer
from functions.format.tables import render_output

HEAD = "<TRANSCRIPT>\nstart\tvoice\ttext\n"
RUN = HEAD + (
    "04:40\t1\tWelcome back to the second half of the show.\n"
    "04:50\t2\tThanks, it is good to be here again.\n"
    "05:00\t1\tLet us talk about tape machines today.\n"
)
LATER = [
    (300_000, 1, "Let us talk about tape machines today."),
    (310_000, 2, "Old machines ran at the wrong speed."),
    (320_000, 3, "Sorry, could the owner of a blue van move it?"),
    (330_000, 1, "Back to the speed question then."),
]
EARLY = [
    (280_000, 1, "Welcome back to the second half of the show."),
    (290_000, 2, "Thanks, it is good to be here again."),
]
SPEAKERS = [
    (1, "Helen Marsh", "Forum", "Chair", "Host", 280_000),
    (2, "Kofi Mensah", None, None, "Guest", None),
    (3, None, None, None, "Stage manager", None),
]


def cut_of(text: str, start_ms: int = 0, end_ms: int = 600_000, offset_ms: int = 0) -> Cut:
    parser = StreamParser()
    parser.feed(text)
    rows = [s.model_copy(update={"start_ms": s.start_ms + offset_ms}) for s in parser.segments]
    return Cut(
        start_ms=start_ms,
        end_ms=end_ms,
        offset_ms=offset_ms,
        point_ms=max(row.start_ms for row in rows),
        rows=rows,
        voices=sorted({row.voice for row in rows if row.voice is not None}),
        state=parser.state(),
    )


def answer(media_start_ms: int, relative: bool = True, voices: dict[int, int] | None = None,
           rows: list[tuple[int, int, str]] | None = None,
           speakers: list[tuple] | None = None) -> str:  # fmt: skip
    """A continuation's answer from `media_start_ms`: the overlap again, then the later rows;
    `voices` renumbers (run voice → the answer's)."""
    voices = voices or {}
    shift = media_start_ms if relative else 0
    rows = rows if rows is not None else [*EARLY, *LATER]
    segments = [(at - shift, voices.get(v, v), text) for at, v, text in rows]
    speakers = speakers if speakers is not None else SPEAKERS
    table = [(voices.get(s[0], s[0]), *s[1:5], None if s[5] is None else s[5] - shift)
             for s in speakers]  # fmt: skip
    return render_output(segments, table)


def splice(cut: Cut, text: str, media_start_ms: int) -> tuple[list[Segment], list[Speaker], Splice]:
    """The run's output as the store reads it: the run's lines, then every written piece."""
    run_parser = StreamParser()
    run_parser.feed(RUN if cut.state.line == RUN.count("\n") else "")
    spliced = Splice(cut, media_start_ms)
    writer = Writer(cut.state, with_hours=False)
    parser = StreamParser()
    pieces = []
    for line in text.splitlines(keepends=True):
        pieces.append(writer.write(spliced.feed(parser.feed(line))))
    pieces.append(writer.write(spliced.finish()))
    pieces.append(writer.close())
    segments, speakers = [], []
    complete = False
    for state, piece in pieces:
        store = StreamParser(state=state)
        for row in store.feed(piece, final=piece is pieces[-1][1]):
            (segments if isinstance(row, Segment) else speakers).append(row)
        complete = store.complete
    assert complete, "the written output closes every table"
    return segments, speakers, spliced


def rows_of(segments: list[Segment]) -> list[tuple[int, int | None, str]]:
    return [(s.start_ms, s.voice, s.text) for s in segments]


@pytest.mark.parametrize("relative", [True, False])
def test_the_rows_after_the_point_come_once_in_media_time_whatever_the_reading(relative):
    cut = cut_of(RUN)
    segments, speakers, _ = splice(cut, answer(280_000, relative), 280_000)
    assert rows_of(segments) == LATER[1:]
    assert [s.voice for s in speakers] == [1, 2, 3]
    assert speakers[0].name == "Helen Marsh"
    assert speakers[0].evidence_ms == 280_000  # made media time, like the rows


def test_the_overlap_votes_the_voices_when_the_answer_numbers_them_its_own_way():
    cut = cut_of(RUN)  # run: 1 and 2; the answer calls them 2 and 1, and the new voice 3 stays 3
    text = answer(280_000, voices={1: 2, 2: 1})
    segments, speakers, _ = splice(cut, text, 280_000)
    assert rows_of(segments) == LATER[1:]
    assert {s.voice: s.name for s in speakers} == {1: "Helen Marsh", 2: "Kofi Mensah", 3: None}


def test_an_id_a_vote_gave_to_another_voice_becomes_a_new_one():
    cut = cut_of(RUN)  # the answer: run voice 1 is its 2, and a new person is its 1
    rows = [*EARLY, (300_000, 1, LATER[0][2]), (310_000, 9, "A new person speaks now.")]
    text = answer(280_000, voices={1: 2, 2: 3, 9: 1}, rows=rows, speakers=[])
    segments, _, _ = splice(cut, text, 280_000)
    assert rows_of(segments) == [(310_000, 3, "A new person speaks now.")]


def test_a_row_at_the_point_that_pairs_with_no_run_row_is_kept():
    cut = cut_of(RUN)
    rows = [*EARLY, LATER[0], (300_000, 2, "No, wait, first the budget.")]
    segments, _, _ = splice(cut, answer(280_000, rows=rows, speakers=[]), 280_000)
    assert rows_of(segments) == [(300_000, 2, "No, wait, first the budget.")]


def test_rows_before_the_point_that_pair_with_nothing_are_dropped():
    cut = cut_of(RUN)
    rows = [(285_000, 1, "Something the run did not write."), *EARLY, *LATER]
    segments, _, _ = splice(cut, answer(280_000, rows=rows, speakers=[]), 280_000)
    assert rows_of(segments) == LATER[1:]


def test_rows_outside_the_runs_range_are_dropped_with_an_issue():
    cut = cut_of(RUN, end_ms=330_000)
    rows = [*EARLY, *LATER, (400_000, 1, "Past the end of the range.")]
    segments, _, spliced = splice(cut, answer(280_000, rows=rows, speakers=[]), 280_000)
    assert rows_of(segments) == LATER[1:]
    assert [i.code for i in spliced.issues] == ["continuation_row_outside"]


def test_a_run_whose_transcript_was_closed_only_takes_the_speakers():
    text = RUN + "</TRANSCRIPT>\n<SPEAKERS>\nvoice\tname\tcompany\tposition\trole\tevidence\n"
    text += "1\tHelen Marsh\tForum\tChair\tHost\t04:40\n"
    cut = cut_of(text)
    assert cut.transcript_closed and cut.state.listed == (1,)
    segments, speakers, _ = splice(cut, answer(280_000), 280_000)
    assert segments == []
    assert [s.voice for s in speakers] == [2, 3]  # voice 1 was listed already


def test_relative_timecodes_of_a_clip_run_stay_relative_to_the_clip():
    clip_text = HEAD + "".join(
        f"{(at - 200_000) // 60000:02d}:{(at - 200_000) // 1000 % 60:02d}\t{v}\t{t}\n"
        for at, v, t in EARLY
    )
    cut = cut_of(clip_text, start_ms=200_000, end_ms=800_000, offset_ms=200_000)
    assert cut.point_ms == 290_000
    segments, _, _ = splice(cut, answer(270_000, speakers=[]), 270_000)
    assert rows_of(segments) == [(at - 200_000, v, t) for at, v, t in LATER]


def test_rows_wait_while_the_pairs_cannot_tell_the_reading():
    cut = cut_of(RUN)
    spliced = Splice(cut, 280_000)
    unrelated = [Segment(start_ms=n * 1000, voice=1, text=f"Row {n}.") for n in range(HOLD_ROWS)]
    assert spliced.feed(unrelated[:-1]) == []
    assert spliced.offset is None
    spliced.feed(unrelated[-1:])
    assert spliced.offset == 280_000  # the fits tie: read relative


def test_the_writer_goes_on_in_canonical_columns_after_a_run_in_other_columns():
    run = "<TRANSCRIPT>\nstart\ttext\tvoice\n04:40\tWelcome back.\t1\n"
    parser = StreamParser()
    parser.feed(run)
    writer = Writer(parser.state(), with_hours=False)
    state, text = writer.write([Segment(start_ms=300_000, voice=2, text="Hello.")])
    rows = StreamParser(state=state).feed(text)
    assert rows_of(rows) == [(300_000, 2, "Hello.")]


# -- sound events (rule 7, decision 0025) -------------------------------------------------------


def events_of(cut: Cut, text: str, media_start_ms: int) -> list[tuple[int, int | None, str]]:
    """The events the run's written continuation holds, as the store reads them."""
    spliced, writer, parser = Splice(cut, media_start_ms), Writer(cut.state, False), StreamParser()
    pieces = [writer.write(spliced.feed(parser.feed(text))), writer.write(spliced.finish())]
    pieces.append(writer.close())
    found = []
    for state, piece in pieces:
        found += [r for r in StreamParser(state=state).feed(piece) if isinstance(r, Event)]
    return [(e.start_ms, e.end_ms, e.kind) for e in found]


def test_a_run_cut_before_its_events_takes_the_continuations_in_its_timecodes():
    events = [(282_000, 286_000, "applause"), (335_000, None, "laughter"), (700_000, None, "music")]
    relative = [(s - 280_000, e and e - 280_000, k) for s, e, k in events]
    text = answer(280_000) + render_output([], [], events=relative).split("</SPEAKERS>\n")[1]
    cut = cut_of(RUN, offset_ms=0)
    assert events_of(cut, text, 280_000) == [
        (282_000, 286_000, "applause"),  # before the point: the run has no events of its own
        (335_000, None, "laughter"),
    ]  # music at 700 s is outside the run's range


def test_a_run_that_began_its_events_table_keeps_its_own():
    run = render_output([(280_000, 1, "Welcome back.")], [(1, None, None, None, None, None)])
    run += "<EVENTS>\nstart\tend\tkind\n04:41\t04:44\tapplause\n"
    cut = cut_of(run)
    text = answer(280_000) + "<EVENTS>\nstart\tend\tkind\n00:30\t00:35\tlaughter\n</EVENTS>\n"
    assert events_of(cut, text, 280_000) == []
