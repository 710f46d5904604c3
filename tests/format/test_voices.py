"""The voices pass (functions/format/voices.py and merge rule 5b): which snippets are asked for,
how the answer is read, and how the merge applies it."""

from __future__ import annotations

from functions.format.merge import merge
from functions.format.voices import Snippet, duration_s, parse_answer, slots, snippets
from tests.format.test_merge import HOST, clip, codes, who

# Two clips, the second's voices never in the overlap: both unconfirmed (4 voices for 2 people).
FIRST = clip(0, 0, 60, [(1, 1, HOST), (10, 2, "Hi there"), (20, 1, "A longer answer, slowly")])
SECOND = clip(1, 40, 100, [(30, 1, "Back to you"), (40, 2, "Thanks a lot")])


def test_each_voice_is_asked_by_its_longest_row_cut_to_the_snippet_length() -> None:
    merged = merge([FIRST, SECOND])
    assert merged.unconfirmed == [3, 4]
    assert snippets(merged, 8_000) == [
        Snippet(voice=1, start_ms=1_000, end_ms=9_000, text=HOST),
        Snippet(voice=2, start_ms=10_000, end_ms=18_000, text="Hi there"),
        Snippet(voice=3, start_ms=70_000, end_ms=78_000, text="Back to you"),
        Snippet(voice=4, start_ms=80_000, end_ms=88_000, text="Thanks a lot"),
    ]
    last_row_of_a_short_clip = snippets(merged, 30_000)[3]
    assert (last_row_of_a_short_clip.start_ms, last_row_of_a_short_clip.end_ms) == (80_000, 100_000)


def test_the_answer_joins_the_split_voices_and_clears_their_flags() -> None:
    answer = "Here you go.\n<SAME_PERSON>\nvoice\tperson\n1\t1\n2\t2\n3\t1\nV4\t2\n</SAME_PERSON>\n"
    groups, issues = parse_answer(answer, {1, 2, 3, 4})
    assert (groups, issues) == ([[1, 3], [2, 4]], [])
    merged = merge([FIRST, SECOND], same_person=groups)
    assert [s.voice for s in merged.segments] == [1, 2, 1, 1, 2]
    assert len(merged.speakers) == 2 and merged.issues == [] and merged.unconfirmed == []


def test_chains_in_the_answer_are_one_person_and_unknown_voices_are_ignored() -> None:
    answer = "<same_person>\nvoice  person\n4, 3\n3, 1\n9\t1\n3\t2\n</same_person>"
    groups, issues = parse_answer(answer, {1, 2, 3, 4})
    assert groups == [[1, 3, 4]]
    assert [i.code for i in issues] == ["voices_answer_ignored", "voices_answer_ignored"]
    assert parse_answer("I cannot tell.", {1, 2})[0] is None


def test_persons_with_different_names_are_kept_apart() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST)], [who(1, "Ada")])
    second = clip(1, 40, 100, [(30, 1, "Back to you")], [who(1, "Lin Wu")])
    merged = merge([first, second], same_person=[[1, 2]])
    assert [s.voice for s in merged.segments] == [1, 2]
    assert codes(merged) == ["voices_join_refused"]


def test_a_named_person_takes_in_an_unnamed_voice_with_its_fields() -> None:
    first = clip(0, 0, 60, [(1, 1, HOST)])
    second = clip(1, 40, 100, [(30, 1, "Back to you")], [who(1, "Ada", "Acme")])
    merged = merge([first, second], same_person=[[1, 2]])
    assert [s.voice for s in merged.segments] == [1, 1]
    assert [(s.voice, s.name, s.company) for s in merged.speakers] == [(1, "Ada", "Acme")]


def test_the_reel_places_each_snippet_on_whole_seconds_a_second_apart() -> None:
    asked = [
        Snippet(voice=1, start_ms=1_000, end_ms=7_000, text="six seconds"),
        Snippet(voice=2, start_ms=10_000, end_ms=14_200, text="four and a bit"),
        Snippet(voice=3, start_ms=70_000, end_ms=70_300, text="short"),
    ]
    placed = slots(asked)
    assert [(s.snippet.voice, s.start_s, s.end_s) for s in placed] == [
        (1, 0, 6),
        (2, 7, 12),
        (3, 13, 14),
    ]
    assert duration_s(placed) == 14 and duration_s([]) == 0
    assert [(s.start_s, s.end_s) for s in slots(asked, gap_s=0)] == [(0, 6), (6, 11), (11, 12)]
