"""The enrichments' answers (docs/format.md, "Enrichments"): translations aligned by index,
chapters in time order within the media, a summary of at most 120 words; no input raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.format.enrichments import (
    MAX_CHAPTERS,
    Chapter,
    parse_chapters,
    parse_translation,
)
from functions.format.tables import escape_text


def _codes(issues: list) -> list[str]:  # type: ignore[type-arg]
    return [issue.code for issue in issues]


def translation(rows: list[tuple[int, str]]) -> str:
    body = "\n".join(f"{index}\t{text}" for index, text in rows)
    return f"<TRANSLATION>\nindex\ttext\n{body}\n</TRANSLATION>\n"


def test_a_clean_translation_is_aligned_by_index() -> None:
    result = parse_translation(translation([(5, "Bonjour."), (6, "Au revoir.")]), [5, 6])
    assert result.texts == {5: "Bonjour.", 6: "Au revoir."}
    assert result.missing == [] and result.extra == 0 and result.issues == []


def test_a_missing_row_is_an_issue_and_nothing_shifts() -> None:
    result = parse_translation(translation([(0, "Un."), (2, "Trois.")]), [0, 1, 2])
    assert result.texts == {0: "Un.", 2: "Trois."}
    assert result.missing == [1]
    assert _codes(result.issues) == ["missing_translation"]


def test_an_index_not_asked_or_repeated_is_dropped() -> None:
    answer = translation([(0, "Un."), (7, "Sept."), (0, "Encore un."), (1, "Deux.")])
    result = parse_translation(answer, [0, 1])
    assert result.texts == {0: "Un.", 1: "Deux."}
    assert result.extra == 2
    assert _codes(result.issues) == ["extra_translation", "extra_translation"]
    assert [i.line for i in result.issues] == [4, 5]


def test_a_lenient_translation_table() -> None:
    """Prose, a fence, pipes, quotes, entities, a delimiter inside the text, no closing tag."""
    answer = (
        "Here is the translation:\n```\n<translation_tsv>\n| idx | translation |\n|---|---|\n"
        '| 0 | "Nous &amp; vous" |\n| [1] | Oui |\n| 2 | Non | merci |\n'
    )
    result = parse_translation(answer, [0, 1, 2])
    assert result.texts == {0: "Nous & vous", 1: "Oui", 2: "Non merci"}
    assert _codes(result.issues) == ["quoted_field", "html_entity", "cut_off"]


def test_a_header_without_its_tag_opens_the_table() -> None:
    result = parse_translation("index\ttext\n0\tSalut\n", [0])
    assert result.texts == {0: "Salut"}
    assert "missing_opening_tag" in _codes(result.issues)


def test_an_echoed_transcript_is_not_taken_for_the_translation() -> None:
    answer = (
        "<TRANSCRIPT>\nindex\tstart\tvoice\ttext\n0\t00:02\t1\tHello\n</TRANSCRIPT>\n"
        "index\tstart\tvoice\ttext\n0\t00:02\t1\tHello\n" + translation([(0, "Bonjour")])
    )
    result = parse_translation(answer, [0])
    assert result.texts == {0: "Bonjour"} and result.issues == []


def test_no_table_translates_nothing() -> None:
    result = parse_translation("I cannot translate this.", [0, 1])
    assert result.texts == {} and result.missing == [0, 1]
    assert _codes(result.issues) == ["no_tables", "missing_translation", "missing_translation"]


def chapters(rows: list[tuple[str, str]], summary: str = "A talk.") -> str:
    body = "\n".join(f"{start}\t{title}" for start, title in rows)
    return f"<CHAPTERS>\nstart\ttitle\n{body}\n</CHAPTERS>\n<SUMMARY>\n{summary}\n</SUMMARY>\n"


def test_chapters_and_summary() -> None:
    result = parse_chapters(chapters([("00:00", "Opening"), ("1:02:03", "Questions")]), 4_000_000)
    assert result.chapters == [Chapter(0, "Opening"), Chapter(3_723_000, "Questions")]
    assert result.summary == "A talk."
    assert result.issues == []


def test_bad_chapters_are_dropped_with_an_issue() -> None:
    rows = [
        ("00:10", "Start"),
        ("soon", "Not a time"),
        ("00:05", "Backwards"),
        ("00:10", "Same start"),
        ("00:20", "?"),
        ("00:20", ""),
        ("09:00", "After the end"),
        ("00:30", "Kept"),
    ]
    result = parse_chapters(chapters(rows), 60_000)
    assert [c.title for c in result.chapters] == ["Start", "?", "Kept"]
    assert _codes(result.issues).count("chapter_dropped") == 5


def test_at_most_fifty_chapters() -> None:
    rows = [(f"{i // 60:02d}:{i % 60:02d}", f"Part {i}") for i in range(MAX_CHAPTERS + 3)]
    result = parse_chapters(chapters(rows), None)
    assert len(result.chapters) == MAX_CHAPTERS
    assert _codes(result.issues) == ["chapter_dropped"] * 3


def test_a_long_summary_is_kept_to_120_words() -> None:
    words = [f"w{i}" for i in range(130)]
    result = parse_chapters(chapters([("00:00", "All")], "\n".join([" ".join(words)])), None)
    assert result.summary == " ".join(words[:120])
    assert _codes(result.issues) == ["summary_too_long"]


def test_no_summary_is_an_issue() -> None:
    result = parse_chapters("<CHAPTERS>\nstart\ttitle\n00:00\tAll\n</CHAPTERS>", None)
    assert result.summary is None and _codes(result.issues) == ["no_summary"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.lists(st.integers(0, 50), max_size=10))
def test_no_input_raises(text: str, asked: list[int]) -> None:
    translated = parse_translation(text, asked)
    assert set(translated.texts) <= set(asked)
    assert set(translated.missing) == set(asked) - set(translated.texts)
    result = parse_chapters(text, 60_000)
    starts = [c.start_ms for c in result.chapters]
    assert starts == sorted(set(starts)) and all(s < 60_000 for s in starts)
    assert len(result.chapters) <= MAX_CHAPTERS
    assert result.summary is None or len(result.summary.split()) <= 120


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_escaped_translations_read_back_exactly(texts: list[str]) -> None:
    """Whatever the model writes, escaped as the format asks, is read back as written."""
    rows = [(i, escape_text(t)) for i, t in enumerate(texts)]
    result = parse_translation(translation(rows), range(len(texts)))
    expected = {i: " ".join(t.replace("\t", " ").split()) for i, t in enumerate(texts)}
    got = {i: " ".join(t.split()) for i, t in result.texts.items()}
    assert got == {i: t for i, t in expected.items() if t}
