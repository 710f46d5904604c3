"""Properties of the parser: lossless round trips and chunking that never changes the result."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.models import Segment, Speaker
from functions.parser import StreamParser, check_voices, parse_text
from functions.tables import is_unknown, render_output

DATA = Path(__file__).parent / "data"
TRICKY = [
    "\t",
    '"',
    "'",
    "&",
    "&amp;",
    "&lt;",
    "&#39;",
    "<",
    ">",
    "<b>",
    "</SPEAKERS>",
    "<br/>",
    "é",
    "日本",
    "🎉",
    "\u00a0",
    " ",
    "?",
    "|",
    ",",
    "\\",
]
text_strategy = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=8)), min_size=1, max_size=12
).map("".join)
segment_strategy = st.tuples(st.integers(0, 10 * 3600 * 1000), st.integers(1, 40), text_strategy)


def _expected_text(text: str) -> str:
    return " ".join(text.replace("\t", " ").replace("\r", " ").split("\n")).strip()


def _known(value: str | None) -> str | None:
    """A speaker attribute as read back: `?`, `n/a`, `unknown`… and blanks mean unknown."""
    return None if value is None or is_unknown(value) else _expected_text(value) or None


@settings(max_examples=300, deadline=None)
@given(st.lists(segment_strategy, min_size=1, max_size=20), st.booleans())
def test_rendered_rows_parse_back_exactly(rows: list[tuple[int, int, str]], hours: bool) -> None:
    rows = [(start - start % 1000, voice, text) for start, voice, text in rows]
    if not hours:
        rows = [(start % (3600 * 1000), voice, text) for start, voice, text in rows]
    kept = [row for row in rows if _expected_text(row[2])]
    output = render_output(rows, [], with_hours=hours)
    result = parse_text(output)
    assert [(s.start_ms, s.voice, s.text) for s in result.segments] == [
        (start, voice, _expected_text(text)) for start, voice, text in kept
    ]
    assert result.complete


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(text_strategy, st.one_of(st.none(), text_strategy)), max_size=8))
def test_rendered_speakers_parse_back_exactly(people: list[tuple[str, str | None]]) -> None:
    speakers = [
        (i + 1, name, company, None, "Guest", i * 1000) for i, (name, company) in enumerate(people)
    ]
    result = parse_text(render_output([], speakers))
    expected = [(voice, _known(name), _known(company)) for voice, name, company, *_ in speakers]
    assert [(s.voice, s.name, s.company) for s in result.speakers] == expected
    assert [s.evidence_ms for s in result.speakers] == [i * 1000 for i in range(len(people))]


def _incremental(text: str, cuts: list[int], duration_ms: int | None = None) -> tuple:
    parser = StreamParser(duration_ms)
    rows = []
    previous = 0
    for cut in [*sorted(cuts), len(text)]:
        rows += parser.feed(text[previous:cut])
        previous = cut
    rows += parser.feed("", final=True)
    return parser.close(), rows


def _outputs() -> list[str]:
    trailer = (DATA / "trailer.tsv.txt").read_text()
    return [
        trailer,
        (DATA / "trailer.article.txt").read_text(),
        trailer.replace("\n", "\r\n"),
        trailer[: trailer.index("00:48") + 20],  # cut off mid-row
        "Intro.\n```\n"
        + trailer.replace("00:11\t1\t", '00:11\tSpeaker 1\t"').replace("science?", 'science?"')
        + "```\n",
        '<transcript>\nstart,voice,text\n00:01,1,"a, b"\n<speakers>\nvoice,name\n1,Ada</speakers>',
    ]


def test_every_split_point_gives_the_whole_result() -> None:
    for text in _outputs():
        whole = parse_text(text, 59_000)
        for cut in range(len(text) + 1):
            result, rows = _incremental(text, [cut], 59_000)
            assert result == whole, f"split at {cut}"
            emitted = [r for r in rows if hasattr(r, "start_ms")]
            assert [(s.start_ms, s.text) for s in emitted] == [
                (s.start_ms, s.text) for s in whole.segments
            ]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_chunking_gives_the_whole_result(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_outputs()))
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=30))
    result, rows = _incremental(text, cuts)
    whole = parse_text(text)
    assert result == whole
    assert len(rows) == len(whole.segments) + len([s for s in whole.speakers if not s.placeholder])


def test_rows_are_emitted_as_soon_as_their_line_ends() -> None:
    parser = StreamParser()
    assert parser.feed("<TRANSCRIPT>\nstart\tvoice\ttext\n00:01\t1\tHel") == []
    assert parser.feed("lo") == []
    (row,) = parser.feed(" world\n00:02")
    assert (row.start_ms, row.voice, row.text) == (1000, 1, "Hello world")


def test_resuming_at_any_line_gives_the_same_rows_and_issues() -> None:
    """The store parses each chunk from the state recorded before it: same rows, same issues."""
    for text in _outputs():
        whole = parse_text(text)
        lines = text.splitlines(keepends=True)
        boundaries = [i for i in range(len(lines) + 1) if i == 0 or lines[i - 1].endswith("\n")]
        for cut in boundaries:
            first = StreamParser()
            head = [row for line in lines[:cut] for row in first.feed(line)]
            second = StreamParser(state=first.state())
            tail = second.feed("".join(lines[cut:]), final=True)
            rows = head + tail
            segments = [r for r in rows if isinstance(r, Segment)]
            speakers = [r for r in rows if isinstance(r, Speaker)]
            placeholders, voice_issues = check_voices(segments, speakers)
            assert [(s.start_ms, s.voice, s.text) for s in segments] == [
                (s.start_ms, s.voice, s.text) for s in whole.segments
            ]
            assert sorted([*speakers, *placeholders], key=lambda s: s.voice) == whole.speakers
            issues = first.issues + second.issues + voice_issues
            assert sorted((i.code, i.line or 0) for i in issues) == sorted(
                (i.code, i.line or 0) for i in whole.issues
            ), f"cut at line {cut}"
            assert second.complete == whole.complete
