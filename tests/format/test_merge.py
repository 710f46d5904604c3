"""The merge of a long media's clip answers (functions/format/merge.py): each rule on small clips
written as the model writes them, the command line, and a property over generated transcripts."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.__main__ import main
from functions.format.merge import ClipAnswer, Merged, merge
from functions.format.models import Event
from functions.format.parser import parse_text
from functions.format.tables import render_output
from functions.transcribe.clips import plan_clips
from tests.paths import ROOT

Rows = list[tuple[int, int | None, str]]  # (start in seconds, voice, text)
SpeakerRow = tuple[int, str | None, str | None, str | None, str | None, int | None]


def who(
    voice: int,
    name: str | None = None,
    company: str | None = None,
    position: str | None = None,
    role: str | None = None,
    evidence_s: int | None = None,
) -> SpeakerRow:
    """A speaker table row; the evidence in seconds within the clip."""
    evidence_ms = None if evidence_s is None else evidence_s * 1000
    return (voice, name, company, position, role, evidence_ms)


def output(rows: Rows, speakers: list[SpeakerRow] | None = None) -> str:
    """A clip's model output; every speaking voice listed, unnamed, unless `speakers` is given."""
    if speakers is None:
        speakers = [who(v) for v in sorted({v for _, v, _ in rows if v is not None})]
    return render_output([(s * 1000, v, t) for s, v, t in rows], speakers)


def clip(
    index: int,
    start_s: int,
    end_s: int,
    rows: Rows,
    speakers: list[SpeakerRow] | None = None,
    **flags: bool | str,
) -> ClipAnswer:
    return answer(index, start_s, end_s, output(rows, speakers), **flags)


def answer(index: int, start_s: int, end_s: int, text: str, **flags: bool | str) -> ClipAnswer:
    """A clip's answer from its raw output, as the parser reads it."""
    result = parse_text(text)
    return ClipAnswer(
        index=index,
        start_ms=start_s * 1000,
        end_ms=end_s * 1000,
        segments=result.segments,
        speakers=result.speakers,
        complete=result.complete,
        issues=result.issues,
        **flags,  # type: ignore[arg-type]
    )


def rows_of(merged: Merged) -> list[tuple[int, int | None, str]]:
    return [(s.start_ms // 1000, s.voice, s.text) for s in merged.segments]


def codes(merged: Merged) -> list[str]:
    return [issue.code for issue in merged.issues]


# Two clips of a 100 s media: 0-60 s and 40-100 s, sharing 40-60 s (the cut at 50 s).
HOST, GUEST = "Welcome to the show everyone", "Thanks for having me here"


def test_voice_numbers_of_each_clip_become_one_voice_per_person() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (44, 2, "So I started in Paris"), (55, 1, "Why Paris")])
    second = clip(
        1, 40, 100, [(4, 1, "So I started in Paris"), (15, 2, "Why Paris"), (30, 1, "Easy")]
    )
    merged = merge([first, second])
    assert rows_of(merged) == [
        (1, 1, HOST),
        (44, 2, "So I started in Paris"),
        (55, 1, "Why Paris"),
        (70, 2, "Easy"),
    ]
    assert [report.voice_map for report in merged.clips] == [{1: 1, 2: 2}, {1: 2, 2: 1}]
    assert [s.voice for s in merged.speakers] == [1, 2]
    assert merged.complete and merged.issues == [] and merged.covered_ms == 100_000


def test_absolute_timecodes_are_recognised_per_clip() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (45, 1, "Our first guest")])
    second = clip(1, 40, 100, [(45, 1, "Our first guest"), (80, 2, HOST)])  # absolute
    merged = merge([first, second])
    assert rows_of(merged) == [(1, 1, HOST), (45, 1, "Our first guest"), (80, 2, HOST)]
    assert [report.timecodes for report in merged.clips] == ["relative", "absolute"]


def test_a_clip_that_cannot_tell_is_read_relative() -> None:
    alone = merge([clip(0, 0, 60, [(10, 1, HOST)])])  # clip 0: both readings are the same
    assert alone.clips[0].timecodes == "relative"
    first = clip(0, 0, 60, [(10, 1, HOST)])
    second = clip(1, 40, 100, [(45, 1, GUEST)])  # 45 s into the clip, or at 45 s: both fit
    merged = merge([first, second])
    assert [report.timecodes for report in merged.clips] == ["relative", "relative"]
    assert rows_of(merged) == [(10, 1, HOST), (85, 2, GUEST)]


def test_rows_outside_their_clip_are_dropped_with_an_issue() -> None:
    merged = merge([clip(0, 0, 60, [(1, 1, HOST), (61, 1, "Still here"), (75, 1, "Too late")])])
    assert rows_of(merged) == [(1, 1, HOST), (61, 1, "Still here")]  # within the 2 s tolerance
    assert codes(merged) == ["clip_row_outside"]
    assert (
        merged.issues[0].message.startswith("clip 0: 1 row(s)")
        and "01:15" in merged.issues[0].message
    )
    assert merged.clips[0].outside == 1


@pytest.mark.parametrize(
    ("in_first", "in_second"), [(49, 51), (51, 49), (50, 50), (48, 51), (52, 49)]
)
def test_an_utterance_on_both_sides_of_the_cut_is_kept_once(in_first: int, in_second: int) -> None:
    said = "And that is why we moved the whole team"
    first = clip(0, 0, 60, [(30, 1, HOST), (in_first, 1, said)])
    second = clip(1, 40, 100, [(in_second - 40, 1, said.lower() + "."), (70 - 40, 1, "Next")])
    merged = merge([first, second])
    texts = [text for _, _, text in rows_of(merged)]
    assert len([t for t in texts if t.lower().startswith("and that is why")]) == 1
    assert texts[0] == HOST and texts[-1] == "Next"
    kept_from_first = (in_first + in_second) / 2 < 50
    assert (said in texts) is kept_from_first


def test_unmatched_rows_are_kept_by_their_own_side_of_the_cut() -> None:
    first = clip(0, 0, 60, [(45, 1, "Only the first clip heard this"), (55, 1, "A late remark")])
    second = clip(1, 40, 100, [(5, 1, "Something else entirely"), (15, 1, "After the cut")])
    merged = merge([first, second])
    assert [text for _, _, text in rows_of(merged)] == [
        "Only the first clip heard this",
        "After the cut",
    ]
    assert [report.kept for report in merged.clips] == [1, 1]
    assert (merged.clips[0].keep_end_ms, merged.clips[1].keep_start_ms) == (50_000, 50_000)


def test_a_clip_cut_off_mid_row_leaves_its_range_uncovered() -> None:
    text = output([(1, 1, HOST), (20, 1, "Then we drove north"), (30, 2, "For how long")])
    cut_text = text[: text.index("For how") + 3]  # the model stopped inside the third row
    first = answer(0, 0, 60, cut_text)
    second = clip(1, 40, 100, [(10, 1, "Two days"), (40, 2, "Long drive")])
    merged = merge([first, second])
    assert rows_of(merged)[:2] == [(1, 1, HOST), (20, 1, "Then we drove north")]
    assert [text for _, _, text in rows_of(merged)[2:]] == ["Two days", "Long drive"]
    assert merged.complete is False
    assert merged.clips[1].keep_start_ms == 40_000  # the next clip covers all it can
    cut_off = [issue for issue in merged.issues if issue.code == "clip_cut_off"]
    assert [issue.message for issue in cut_off] == [
        "clip 0: output cut off; 00:20 to 00:40 may be missing"
    ]
    carried = [issue for issue in merged.issues if issue.code in {"truncated_row", "cut_off"}]
    assert [issue.message[:8] for issue in carried] == ["clip 0: ", "clip 0: "]  # parse issues
    assert codes(merged).count("voice_unconfirmed") == 2  # clip 0 stopped before the overlap


def test_overlap_evidence_beats_a_different_name() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (45, 1, "Let me introduce Lin")], [who(1, "Ada Byron")])
    second = clip(
        1,
        40,
        100,
        [(5, 1, "Let me introduce Lin"), (30, 2, "Hello")],
        [who(1, "Ada King"), who(2, "Lin")],
    )
    merged = merge([first, second])
    assert [s.voice for s in merged.segments] == [1, 1, 2]
    assert [s.name for s in merged.speakers] == ["Ada Byron", "Lin"]
    assert codes(merged) == ["speaker_name_conflict"]
    assert "'Ada King'" in merged.issues[0].message and "clip 1" in merged.issues[0].message


def test_names_differing_only_in_case_and_spaces_do_not_conflict() -> None:
    first = clip(0, 0, 60, [(45, 1, "Let me introduce Lin")], [who(1, "Ada  Byron")])
    second = clip(1, 40, 100, [(5, 1, "Let me introduce Lin")], [who(1, "ada byron")])
    merged = merge([first, second])
    assert merged.issues == [] and [s.name for s in merged.speakers] == ["Ada  Byron"]


def test_names_join_voices_that_never_speak_in_an_overlap() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (10, 2, "Hi")], [who(1, "Ada"), who(2, "Lin Wu")])
    second = clip(
        1, 40, 100, [(30, 1, "Back to you"), (40, 2, "Thanks")], [who(1, " LIN WU "), who(2, "Ada")]
    )
    merged = merge([first, second])
    assert [s.voice for s in merged.segments] == [1, 2, 2, 1]
    assert merged.clips[1].voice_map == {1: 2, 2: 1}
    assert merged.issues == [] and len(merged.speakers) == 2


def test_an_unnamed_voice_with_no_overlap_speech_is_a_new_person_flagged() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (10, 2, "Hi")])
    second = clip(1, 40, 100, [(30, 1, "Back to you"), (40, 2, "Thanks")])
    merged = merge([first, second])
    assert [s.voice for s in merged.segments] == [1, 2, 3, 4]
    assert codes(merged) == ["voice_unconfirmed", "voice_unconfirmed"]
    assert merged.issues[0].message.startswith("clip 1: voice 1 ")


def test_a_voice_heard_in_the_overlap_but_unmatched_is_not_flagged() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (45, 1, "Something")])
    second = clip(1, 40, 100, [(5, 1, "Something"), (10, 2, "A new voice right away")])
    merged = merge([first, second])
    assert [s.voice for s in merged.segments] == [1, 1, 2]
    assert merged.issues == []


def test_a_gap_clip_is_reported_and_neighbours_keep_their_whole_overlap() -> None:
    plan = [(0, 0, 60), (1, 40, 100), (2, 80, 140)]
    first = clip(*plan[0], [(1, 1, HOST), (55, 1, "Near the end")], [who(1, "Ada")])
    blocked = clip(*plan[1], [(1, 1, "Never merged")], gap="blocked: SAFETY")
    third = clip(
        *plan[2], [(2, 1, "Right at the start"), (10, 2, "And you?")], [who(1, "ada"), who(2)]
    )
    merged = merge([first, blocked, third])
    assert rows_of(merged) == [
        (1, 1, HOST),
        (55, 1, "Near the end"),
        (82, 1, "Right at the start"),
        (90, 2, "And you?"),
    ]
    assert merged.complete is False
    assert codes(merged) == ["clip_gap", "voice_unconfirmed"]  # voice 2 could not be checked
    assert merged.issues[0].message == "clip 1 (00:40 to 01:40) not transcribed: blocked: SAFETY"
    assert merged.clips[1].gap == "blocked: SAFETY" and merged.clips[1].timecodes is None
    assert merged.covered_ms == 140_000


def test_the_frontier_hides_later_clips_until_it_finishes() -> None:
    plan = [(0, 0, 60), (1, 40, 100), (2, 80, 140)]
    done = clip(*plan[0], [(1, 1, HOST), (45, 2, "Same words here")])
    streaming = clip(*plan[1], [(5, 2, "Same words here"), (20, 1, "Sixty")], finished=False)
    later = clip(*plan[2], [(15, 3, "Ninety five")])
    merged = merge([done, streaming, later])
    assert [text for _, _, text in rows_of(merged)] == [HOST, "Same words here", "Sixty"]
    assert len(merged.clips) == 2 and merged.complete is False
    assert merged.covered_ms == 60_000  # the frontier's last row
    assert merged.clips[1].keep_end_ms == 90_000  # the cut with clip 2, waiting
    finished = merge([done, clip(*plan[1], [(5, 2, "Same words here"), (20, 1, "Sixty")]), later])
    assert rows_of(finished)[:3] == rows_of(merged)  # it only grew
    assert [text for _, _, text in rows_of(finished)][3:] == ["Ninety five"]


def test_an_empty_unstarted_frontier_keeps_the_progress_of_the_settled_clips() -> None:
    done = clip(0, 0, 60, [(1, 1, HOST)])
    waiting = ClipAnswer(
        index=1, start_ms=40_000, end_ms=100_000, segments=[], speakers=[], finished=False
    )
    merged = merge([done, waiting])
    assert merged.covered_ms == 50_000 and merged.complete is False and merged.issues == []


def test_voices_are_numbered_by_first_speech_then_silent_listed_ones() -> None:
    first = clip(
        0,
        0,
        60,
        [(1, 3, HOST), (5, 1, "Hi"), (8, None, "[applause]")],
        [who(1), who(2, "Quiet"), who(3)],
    )
    second = clip(1, 40, 100, [(30, 5, "A newcomer")], [who(5, "Newcomer"), who(4, "Also quiet")])
    merged = merge([first, second])
    assert [s.voice for s in merged.segments] == [1, 2, None, 3]
    assert [(s.voice, s.name) for s in merged.speakers] == [
        (1, None),
        (2, None),
        (3, "Newcomer"),
        (4, "Quiet"),
        (5, "Also quiet"),
    ]
    assert merged.clips[0].voice_map == {1: 2, 2: 4, 3: 1}


def test_speaker_fields_are_filled_from_later_clips() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST), (45, 1, "Our guest today")], [who(1, role="Host")])
    second = clip(
        1,
        40,
        100,
        [(5, 1, "Our guest today")],
        [who(1, "Ada", "Acme", position="CEO", role="Presenter", evidence_s=10)],
    )
    merged = merge([first, second])
    host = merged.speakers[0]
    assert (host.name, host.company, host.position, host.role) == ("Ada", "Acme", "CEO", "Host")
    assert (host.evidence, host.evidence_ms, host.placeholder) == ("00:50", 50_000, False)


def test_clips_that_are_not_a_plan_are_refused() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST)])
    with pytest.raises(ValueError, match="indexes"):
        merge([first, clip(2, 40, 100, [])])
    with pytest.raises(ValueError, match="must start after"):
        merge([first, clip(1, 70, 100, [])])  # a hole between the clips
    with pytest.raises(ValueError, match="only neighbours"):
        merge([first, clip(1, 20, 80, []), clip(2, 50, 120, [])])


def test_clips_are_taken_in_index_order_whatever_the_sequence() -> None:
    clips = [clip(0, 0, 60, [(1, 1, HOST)]), clip(1, 40, 100, [(30, 1, GUEST)], [who(1, "Lin")])]
    assert merge(clips) == merge(clips[::-1])


# -- the command line ------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_merge_command_prints_the_parse_keys_and_the_clip_reports(tmp_path: Path) -> None:
    first = write(tmp_path, "0.txt", output([(1, 1, HOST), (45, 2, "So I started in Paris")]))
    second = write(tmp_path, "1.txt", output([(5, 1, "So I started in Paris"), (30, 2, "Why")]))
    # voice 2 of clip 1 first speaks after the overlap, unnamed: a new person, flagged
    done = subprocess.run(
        [sys.executable, "-m", "functions", "merge", f"0:60:{first}", f"40:100.5:{second}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"segments", "speakers", "complete", "issues", "clips", "covered_ms"} <= result.keys()
    assert [(s["start_ms"], s["voice"]) for s in result["segments"]] == [
        (1000, 1),
        (45_000, 2),
        (70_000, 3),
    ]
    assert {"voice", "name", "company", "position", "role"} <= result["speakers"][0].keys()
    assert result["complete"] is True
    assert [(i["code"], i["message"][:7]) for i in result["issues"]] == [
        ("voice_unconfirmed", "clip 1:")
    ]
    assert result["clips"][1]["voice_map"] == {"1": 2, "2": 3}
    assert result["covered_ms"] == 100_500


@pytest.mark.parametrize(
    ("argument", "message"),
    [("10:FILE", "START:END:FILE"), ("a:b:FILE", "START:END:FILE"), ("20:10:FILE", "START < END")],
)
def test_merge_command_rejects_a_malformed_clip(
    argument: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["merge", argument])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_merge_command_rejects_clips_out_of_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "clip.txt", output([(1, 1, HOST)]))
    with pytest.raises(SystemExit) as exit_:
        main(["merge", f"40:100:{path}", f"0:60:{path}"])
    assert exit_.value.code == 2 and "not in order" in capsys.readouterr().err


def test_merge_command_names_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["merge", "0:60:/nonexistent/clip.txt"])
    assert exit_.value.code == 2 and "cannot read /nonexistent/clip.txt" in capsys.readouterr().err


# -- the property: an authored transcript cut into clips comes back whole ---------------------


@st.composite
def transcripts(
    draw: st.DrawFn,
) -> tuple[int, list[tuple[int, int | None]], set[int], tuple[int, int]]:
    """(duration in seconds, rows (start in seconds, voice) in time order, named voices, and the
    clip and overlap lengths in seconds)."""
    duration_s = draw(st.integers(70, 400))
    starts = sorted(draw(st.lists(st.integers(0, duration_s - 1), min_size=1, max_size=60)))
    voices = draw(
        st.lists(
            st.one_of(st.none(), st.integers(1, 5)), min_size=len(starts), max_size=len(starts)
        )
    )
    named = draw(st.sets(st.integers(1, 5)))
    clip_s = draw(st.integers(40, 90))
    overlap_s = draw(st.integers(8, clip_s // 4))  # the settings allow a quarter
    return duration_s, list(zip(starts, voices, strict=True)), named, (clip_s, overlap_s)


def clip_outputs(
    duration_s: int, rows: list[tuple[int, int | None]], named: set[int], lengths: tuple[int, int]
) -> tuple[list[ClipAnswer], list[list[int]]]:
    """Each clip's answer as the model would give it (the rows starting in its range, voices
    numbered by first appearance in the clip, relative timecodes), and each clip's rows."""
    plan = plan_clips(duration_s, lengths[0], lengths[1], threshold_s=0)
    answers, members = [], []
    for clip_range in plan:
        last = clip_range.index == len(plan) - 1
        inside = [
            n
            for n, (start_s, _) in enumerate(rows)
            if clip_range.start_ms <= start_s * 1000 < clip_range.end_ms
            or (last and start_s * 1000 == clip_range.end_ms)
        ]
        local: dict[int | None, int | None] = {None: None}  # authored voice → the clip's
        for n in inside:
            local.setdefault(rows[n][1], len(local))
        segments = [
            (rows[n][0] * 1000 - clip_range.start_ms, local[rows[n][1]], f"line {n}")
            for n in inside
        ]
        speakers = [
            (v, f"Person {a}" if a in named else None, None, None, None, None)
            for a, v in local.items()
            if a is not None and v is not None
        ]
        result = parse_text(render_output(segments, speakers))
        answers.append(
            ClipAnswer(
                index=clip_range.index,
                start_ms=clip_range.start_ms,
                end_ms=clip_range.end_ms,
                segments=result.segments,
                speakers=result.speakers,
            )
        )
        members.append(inside)
    return answers, members


def every_voice_checkable(
    rows: list[tuple[int, int | None]], named: set[int], members: list[list[int]]
) -> bool:
    """Every voice that returns in a later clip is named or speaks in that clip's overlap with the
    previous one (so the merge can recognise it)."""
    for k in range(1, len(members)):
        earlier = {rows[n][1] for m in members[:k] for n in m}
        overlap = {rows[n][1] for n in set(members[k]) & set(members[k - 1])}
        for n in members[k]:
            voice = rows[n][1]
            if (
                voice is not None
                and voice in earlier
                and voice not in named
                and voice not in overlap
            ):
                return False
    return True


@settings(max_examples=300, deadline=None)
@given(transcripts())
def test_clips_of_an_authored_transcript_merge_back_to_it(
    transcript: tuple[int, list[tuple[int, int | None]], set[int], tuple[int, int]],
) -> None:
    duration_s, rows, named, lengths = transcript
    answers, members = clip_outputs(duration_s, rows, named, lengths)
    merged = merge(answers)
    assert [s.text for s in merged.segments] == [f"line {n}" for n in range(len(rows))]
    assert all(
        0 <= start_s * 1000 - s.start_ms < 1000
        for (start_s, _), s in zip(rows, merged.segments, strict=True)
    )
    assert merged.complete
    pairs = {(voice, s.voice) for (_, voice), s in zip(rows, merged.segments, strict=True)}
    assert all((a is None) == (m is None) for a, m in pairs)
    authored_of = {m: a for a, m in pairs if m is not None}
    assert len(authored_of) == len({(a, m) for a, m in pairs if m is not None})  # never two in one
    if every_voice_checkable(rows, named, members):
        assert len(authored_of) == len({a for a, _ in pairs if a is not None})  # nor one split
    assert [s.voice for s in merged.speakers] == list(range(1, len(merged.speakers) + 1))


@settings(max_examples=200, deadline=None)
@given(transcripts())
def test_the_voices_pass_answer_joins_every_split_person(
    transcript: tuple[int, list[tuple[int, int | None]], set[int], tuple[int, int]],
) -> None:
    """Rule 5b: told which merged voices are one person (here, the authored truth), the merge
    gives exactly one voice per authored person and flags none as unconfirmed."""
    duration_s, rows, named, lengths = transcript
    answers, _ = clip_outputs(duration_s, rows, named, lengths)
    split = merge(answers)
    persons: dict[int, set[int]] = {}
    for (_, voice), segment in zip(rows, split.segments, strict=True):
        if voice is not None and segment.voice is not None:
            persons.setdefault(voice, set()).add(segment.voice)
    groups = [sorted(group) for group in persons.values() if len(group) > 1]
    joined = merge(answers, same_person=groups)
    assert [s.text for s in joined.segments] == [s.text for s in split.segments]
    pairs = {(voice, s.voice) for (_, voice), s in zip(rows, joined.segments, strict=True)}
    speaking = {a for a, _ in pairs if a is not None}
    assert (
        len({m for _, m in pairs if m is not None}) == len(speaking) == len(pairs - {(None, None)})
    )
    assert "voice_unconfirmed" not in codes(joined) and joined.unconfirmed == []
    assert [s.voice for s in joined.speakers] == list(range(1, len(joined.speakers) + 1))


# -- sound events (rule 10, decision 0025) ------------------------------------------------------


def heard(answer: ClipAnswer, *events: tuple[int, int | None, str]) -> ClipAnswer:
    """The clip's answer with an events table: (start s, end s, kind) in the clip's timecodes."""
    found = [Event(start_ms=s * 1000, end_ms=e and e * 1000, kind=k) for s, e, k in events]
    return dataclasses.replace(answer, events=found)


def test_an_event_heard_in_an_overlap_is_counted_once_and_each_clip_keeps_its_own():
    """The cut is at 600 s: the first clip keeps its applause (598 s), the second's (601 s)
    overlaps it and joins it; a copy starting before the cut would have been dropped."""
    first = heard(
        clip(0, 0, 610, [(0, 1, "Hello."), (605, 1, "Thanks.")]),
        (100, 104, "laughter"),
        (598, 606, "applause"),
    )
    second = heard(
        clip(1, 590, 1200, [(15, 1, "Thanks."), (300, 1, "More.")]),
        (11, 17, "applause"),  # 601-607 in the media: past the cut, the same applause
        (310, None, "music"),
    )
    merged = merge([first, second])
    assert [(e.start_ms, e.end_ms, e.kind) for e in merged.events or []] == [
        (100_000, 104_000, "laughter"),
        (598_000, 607_000, "applause"),
        (900_000, None, "music"),
    ]


def test_no_events_table_in_any_clip_means_none_and_a_gap_adds_none():
    plain = [clip(0, 0, 610, [(0, 1, "Hello.")]), clip(1, 590, 1200, [(10, 1, "Again.")])]
    assert merge(plain).events is None
    gap = heard(clip(1, 590, 1200, [], gap="blocked"), (300, 305, "music"))
    merged = merge([heard(plain[0], (30, 35, "music"), (700, 710, "music")), gap])
    assert [(e.start_ms, e.end_ms) for e in merged.events or []] == [(30_000, 35_000)]
