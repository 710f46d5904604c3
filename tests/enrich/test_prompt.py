"""The enrichments' requests (docs/format.md, "Enrichments"): the exact tables they carry, and
translation parts sized to the model's output limit."""

from __future__ import annotations

from functions.enrich import prompt
from functions.enrich.prompt import Row, Speaker, chapters_prompt, parts, translation_prompt

ROWS = [
    Row(0, 2_000, 1, "We've been working on this problem for fifty years."),
    Row(1, 9_000, None, "Tabs\tand <b>tags</b> & quotes"),
]


def test_a_translation_request_carries_its_language_and_rows_keyed_by_index() -> None:
    text = translation_prompt("fr", "French", [ROWS[1]], 60_000)
    instructions, data = text.split("<LANGUAGE>")
    assert "French (fr)" in instructions
    assert "<TRANSLATION>\nindex\ttext\n" in instructions
    assert data == (
        "fr</LANGUAGE>\n<TRANSCRIPT>\nindex\tstart\tvoice\ttext\n"
        "1\t00:09\t?\tTabs and &lt;b>tags&lt;/b> &amp; quotes\n</TRANSCRIPT>\n"
    )


def test_an_hour_or_more_writes_hours() -> None:
    text = translation_prompt("de", "German", [Row(5, 3_723_000, 2, "Hallo")], 4_000_000)
    assert text.endswith(
        "<TRANSCRIPT>\nindex\tstart\tvoice\ttext\n5\t1:02:03\t2\tHallo\n</TRANSCRIPT>\n"
    )


def test_a_chapters_request_carries_every_row_and_the_identified_speakers() -> None:
    speakers = [Speaker(1, "Ada Lovelace", None, "Mathematician", "Guest")]
    text = chapters_prompt(ROWS, speakers, 60_000)
    assert text.endswith(
        "<TRANSCRIPT>\nindex\tstart\tvoice\ttext\n"
        "0\t00:02\t1\tWe've been working on this problem for fifty years.\n"
        "1\t00:09\t?\tTabs and &lt;b>tags&lt;/b> &amp; quotes\n</TRANSCRIPT>\n"
        "<SPEAKERS>\nvoice\tname\tcompany\tposition\trole\n"
        "1\tAda Lovelace\t?\tMathematician\tGuest\n</SPEAKERS>\n"
    )
    assert "<CHAPTERS>\nstart\ttitle\n00:02\t" in text
    assert "<SUMMARY>" in text and "at most 120 words" in text
    assert "<LANGUAGE>" not in text


def test_parts_are_consecutive_and_fit_the_output_limit() -> None:
    rows = [Row(i, i * 1000, 1, "word " * (i % 40 + 1)) for i in range(1000)]
    found = parts(rows, max_rows=300, max_output_tokens=8192)
    assert [row for part in found for row in part] == rows
    assert all(len(part) <= 300 for part in found)
    budget = 8192 * prompt.ANSWER_SHARE
    assert all(sum(prompt.answer_tokens(r) for r in part) <= budget for part in found)
    assert len(found) > 1000 // 300 + 1  # the output limit, not the row cap, cut these


def test_a_row_longer_than_the_budget_is_a_part_of_its_own() -> None:
    long = Row(1, 1000, 1, "x" * 50_000)
    found = parts([ROWS[0], long, ROWS[0]], max_rows=100, max_output_tokens=1000)
    assert [len(part) for part in found] == [1, 1, 1]
