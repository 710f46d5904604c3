"""What the room makes of answers, before anything is recorded (pure: no stack)."""

from __future__ import annotations

from functions.enrich import chapters, translation
from functions.enrich.ask import Answer
from functions.enrich.prompt import Speaker
from functions.enrich.transcript import Page, Transcript

PAGES = [
    Page(
        "0000",
        0,
        [{"start_ms": 0, "voice": 1, "text": "One"}, {"start_ms": 1000, "voice": 2, "text": "Two"}],
    ),
    Page("0001", 1, [{"start_ms": 2000, "voice": 1, "text": "Three"}]),
]
TRANSCRIPT = Transcript(PAGES, [Speaker(1, "Ada", None, None, None)], 5000)


def answer(text: str, reason: str | None = None) -> Answer:
    return Answer(text, None, "completed", reason)


def test_answers_of_parts_are_aligned_onto_the_pages() -> None:
    rows = TRANSCRIPT.rows
    parts = [rows[:2], rows[2:]]
    answers = [
        answer("<TRANSLATION>\nindex\ttext\n1\tDeux\n0\tUn\n</TRANSLATION>"),
        answer("<TRANSLATION>\nindex\ttext\n2\tTrois\n</TRANSLATION>"),
    ]
    result = translation.result(TRANSCRIPT, parts, answers)
    assert result.completed and result.reason is None
    assert [(p.id, [s["text"] for s in p.segments]) for p in result.pages] == [
        ("0000", ["Un", "Deux"]),
        ("0001", ["Trois"]),
    ]
    assert result.fields["counts"] == {"rows": 3, "translated": 3, "missing": 0, "extra": 0}


def test_an_answer_with_no_usable_row_fails() -> None:
    result = translation.result(TRANSCRIPT, [TRANSCRIPT.rows], [answer("Sorry, I can't.")])
    assert result.status == "failed"
    assert result.reason == "no usable row in the answer (no <TRANSLATION> table in the answer)"
    assert result.pages == []


def test_a_cut_off_answer_says_so_and_its_cues_keep_the_original() -> None:
    cut = answer("<TRANSLATION>\nindex\ttext\n0\tUn\n", reason="the model reached its output limit")
    result = translation.result(TRANSCRIPT, [TRANSCRIPT.rows], [cut])
    assert result.reason == "2 of 3 rows not translated; the model reached its output limit"
    assert [s["text"] for s in result.subtitles] == ["Un", "Two", "Three"]
    assert [s["text"] for p in result.pages for s in p.segments] == ["Un", None, None]


def test_chapters_without_a_usable_chapter_fail() -> None:
    result = chapters.result(TRANSCRIPT, answer("<CHAPTERS>\nstart\ttitle\nsoon\tX\n</CHAPTERS>"))
    assert result.status == "failed" and result.document == {}
