"""The enrichments' tags are protocol: the product's requests (`functions/enrich/prompt.py`) and
the stand-in (`standin/enrichment.py`) each hold their own names; they must be the same, and the
stand-in must read the product's requests as they are built."""

from __future__ import annotations

from functions.enrich import prompt
from functions.enrich.prompt import Row, Speaker, chapters_prompt, translation_prompt
from standin import enrichment

ROWS = [Row(7, 2_000, 1, "Hello & welcome"), Row(8, 3_723_000, None, "Tabs\there")]


def test_the_product_and_the_stand_in_name_the_same_tags() -> None:
    product = (prompt.LANGUAGE, prompt.TRANSLATION, prompt.CHAPTERS, prompt.SUMMARY)
    stand_in = (
        enrichment.LANGUAGE,
        enrichment.TRANSLATION,
        enrichment.CHAPTERS,
        enrichment.SUMMARY,
    )
    assert product == stand_in
    header = "\t".join(enrichment.TRANSLATION_COLUMNS)
    assert f"<{enrichment.TRANSLATION}>\n{header}\n" in translation_prompt("fr", "French", ROWS, 0)
    header = "\t".join(enrichment.CHAPTER_COLUMNS)
    assert f"<{enrichment.CHAPTERS}>\n{header}\n" in chapters_prompt(ROWS, [], 0)
    assert f"\n<{enrichment.LANGUAGE}>fr</{enrichment.LANGUAGE}>\n" in translation_prompt(
        "fr", "French", ROWS, 0
    )


def test_the_stand_in_reads_a_translation_request_as_built() -> None:
    asked = enrichment.asked([translation_prompt("fr", "French", ROWS, 4_000_000)])
    assert asked is not None and asked.lang == "fr"
    assert [(r.index, r.start_ms, r.text) for r in asked.rows] == [
        (7, 2_000, "Hello & welcome"),
        (8, 3_723_000, "Tabs here"),
    ]


def test_the_stand_in_reads_a_chapters_request_as_built() -> None:
    text = chapters_prompt(ROWS, [Speaker(1, "Ada", None, None, "Host")], 4_000_000)
    asked = enrichment.asked([text])
    assert asked is not None and asked.lang is None
    assert [r.index for r in asked.rows] == [7, 8]
