"""Properties of the parser: lossless round trips and chunking that never changes the result."""

from __future__ import annotations

import html

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from functions.format.models import EVENT_KINDS, MAX_VOICE_ID, Segment, Speaker
from functions.format.parser import StreamParser, check_voices, parse_text
from functions.format.tables import is_unknown, render_output
from tests.paths import DATA

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


def _quote_every_field(output: str) -> str:
    """The same tables with every field of every row (headers too) in double quotes."""
    lines = []
    for line in output.split("\n"):
        if "\t" in line:
            line = "\t".join(f'"{cell}"' for cell in line.split("\t"))
        lines.append(line)
    return "\n".join(lines)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3600 * 1000), st.integers(1, 40)), min_size=1, max_size=10),
    st.lists(st.tuples(st.sampled_from(["Ada", "Lin Wu", "?"]), st.booleans()), max_size=5),
)
def test_quoted_fields_in_every_column_parse_like_bare_ones(
    rows: list[tuple[int, int]], people: list[tuple[str, bool]]
) -> None:
    segments = [
        (start - start % 1000, voice, f"words {i}") for i, (start, voice) in enumerate(rows)
    ]
    speakers = [
        (i + 1, name, "Acme" if known else None, None, "Guest", i * 1000)
        for i, (name, known) in enumerate(people)
    ]
    bare = parse_text(render_output(segments, speakers))
    quoted = parse_text(_quote_every_field(render_output(segments, speakers)))
    assert quoted.segments == bare.segments and quoted.speakers == bare.speakers
    assert {i.code for i in quoted.issues} - {i.code for i in bare.issues} == {"quoted_field"}


@given(
    st.lists(
        st.tuples(st.integers(0, 3599), st.integers(0, 30), st.sampled_from(EVENT_KINDS)),
        max_size=12,
    )
)
def test_rendered_events_parse_back_exactly(events: list[tuple[int, int, str]]) -> None:
    """The third table (decision 0025): whole-second events, an end of `?` when not after."""
    rows = [(s * 1000, (s + length) * 1000 if length else None, k) for s, length, k in events]
    result = parse_text(render_output([(0, 1, "Hi.")], [], events=rows))
    assert [(e.start_ms, e.end_ms, e.kind) for e in result.events or []] == rows
    assert result.events is not None and result.complete
    without_end = ["event_without_end" for _, end, _ in rows if end is None]
    assert sorted(i.code for i in result.issues) == sorted([*without_end, "unknown_voice"])


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
        trailer + "<EVENTS>\nstart\tend\tkind\n00:03\t00:05\tmusic\n00:09\t?\t[Applause]\n",
    ]


def test_every_split_point_gives_the_whole_result() -> None:
    for text in _outputs():
        whole = parse_text(text, 59_000)
        for cut in range(len(text) + 1):
            result, rows = _incremental(text, [cut], 59_000)
            assert result == whole, f"split at {cut}"
            emitted = [r for r in rows if isinstance(r, Segment)]
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
    listed = [s for s in whole.speakers if not s.placeholder]
    assert len(rows) == len(whole.segments) + len(listed) + len(whole.events or [])


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


# -- arbitrary input: the parser never raises, and chunking never changes the result -------------

FUZZ_TAGS = [
    *("<TRANSCRIPT>", "</TRANSCRIPT>", "<SPEAKERS>", "</SPEAKERS>", "<transcript>", "<segments>"),
    *("<TASK1_TRANSCRIPT_CSV>", "</TASK2_SPEAKER_CSV>", "<SPEAKER_TABLE>", "</Transcript_TSV>"),
    *("< Speakers >", "</ SPEAKER >", "<b>", "</", "<", ">", "<TRANSCRIPT", "< b speakers >"),
    *("<the transcript>", "<TASK1_SPEAKERS_LIST>"),
    *("<EVENTS>", "</EVENTS>", "<sound_events>", "</Event_TSV>", "<events list>"),
]
FUZZ_HEADERS = [
    "start\tvoice\ttext",
    "voice\tname\tcompany\tposition\trole\tevidence",
    "voice\tname\tnotes\tcompany",
    "timecode\tspeaker\tconfidence\ttext",
    "id\tname\ttext\tstart",
    "start\ttext\tvoice",
    "start,voice,text",
    "voice,name,extra",
    "| start | voice | text |",
    "|---|---|",
    "start voice text",
    "voice name",
    "start\tend\tkind",
    "time,event",
]
FUZZ_CELLS = [
    *("00:01", "1:02:03", "65:42", "5", "[00:05]", "00:05.500", "00:05-00:09", "99:99:99", "0:00"),
    *("1", "2", "V1", "Speaker 5000", "9999", "101", "0", "?", "N/A", "-", "", " ", '"', '""'),
    *("\u00b2", "\u00b2\u00b3:00", "0\u00b9:00", "\u0663", "\u2075:00", "\u00bd", "\U0001d7ce"),
    *("a < b speakers > c", "see the <transcript> tab", "<SPEAKERS>", "x</TRANSCRIPT>"),
    *("&amp;", "&#39;", "&", "&#99999999;", "&#x110000;", "&lt;SPEAKERS&gt;", '"a, b"'),
    *("```", "```xml", ",", "|", "#", "**", "\r", "\x00", "\u2028", "\x85", "\x0b", "\ufeff"),
    *("\u00a0", "\u65e5\u672c", "\U0001f389", "\ud800", "x" * 400),
    *("applause", "[Laughter]", "crowd noise", "dog barking"),
]
_fuzz_cell = st.one_of(
    st.sampled_from(FUZZ_CELLS),
    st.lists(st.sampled_from(FUZZ_CELLS + FUZZ_TAGS), min_size=2, max_size=4).map("".join),
    st.text(max_size=5),
)
_fuzz_row = st.tuples(
    st.sampled_from(["\t", "\t", "\t", ",", "|", " ", "\t\t"]), st.lists(_fuzz_cell, max_size=8)
).map(lambda r: r[0].join(r[1]))
_fuzz_line = st.one_of(
    st.sampled_from(FUZZ_TAGS),
    st.sampled_from(FUZZ_HEADERS),
    _fuzz_row,
    _fuzz_row,
    st.tuples(st.sampled_from(FUZZ_TAGS), _fuzz_row, st.sampled_from(["", *FUZZ_TAGS])).map(
        "".join
    ),
    st.text(max_size=20),
)
fuzz_text = st.tuples(
    st.lists(_fuzz_line, max_size=30), st.sampled_from(["\n", "\r\n"]), st.booleans()
).map(lambda t: t[1].join(t[0]) + ("\n" if t[2] else ""))


@settings(max_examples=400, deadline=None)
@given(fuzz_text, st.lists(st.integers(0, 10_000), max_size=12), st.sampled_from([None, 0, 60_000]))
def test_any_text_in_any_chunks_never_raises(
    text: str, cuts: list[int], duration: int | None
) -> None:
    whole = parse_text(text, duration)
    result, rows = _incremental(text, [c % (len(text) + 1) for c in cuts], duration)
    assert result == whole
    listed = [s for s in whole.speakers if not s.placeholder]
    assert len(rows) == len(whole.segments) + len(listed) + len(whole.events or [])
    assert not [i for i in whole.issues if i.message.startswith("line skipped")]  # no backstop
    assert all(s.voice is None or s.voice <= MAX_VOICE_ID for s in whole.segments)
    if duration is not None:
        assert all(s.end_ms is None or s.end_ms <= duration for s in whole.segments)


@settings(max_examples=200, deadline=None)
@given(fuzz_text, st.data())
def test_resuming_any_text_at_any_line_gives_the_same_rows(text: str, data: st.DataObject) -> None:
    lines = text.split("\n")
    cut = data.draw(st.integers(0, len(lines) - 1))
    head, tail = "".join(line + "\n" for line in lines[:cut]), "\n".join(lines[cut:])
    first = StreamParser()
    rows = first.feed(head)
    rows += StreamParser(state=first.state()).feed(tail, final=True)
    whole = StreamParser()
    assert rows == whole.feed(text, final=True)


def test_a_speaker_listed_before_the_resume_point_is_still_a_duplicate() -> None:
    text = "<TRANSCRIPT>\n<SPEAKER_TABLE>\n0\n0\n<TRANSCRIPT>"  # found by the property above
    whole = StreamParser().feed(text, final=True)
    lines = text.split("\n")
    for cut in range(len(lines)):
        first = StreamParser()
        rows = first.feed("".join(line + "\n" for line in lines[:cut]))
        rows += StreamParser(state=first.state()).feed("\n".join(lines[cut:]), final=True)
        assert rows == whole, cut


# -- raw markup in free text survives verbatim ----------------------------------------------------

RAW_PIECES = [
    *("<", ">", "&", " < ", " > ", " & ", "a < b speakers > c", "<b>", "</b>", "<br/>", "R&D"),
    *("<TRANSCRIPT>", "</TRANSCRIPT>", "<speakers>", "</SPEAKERS>", "< SPEAKERS >", "<segments>"),
    *(
        "<TASK1_TRANSCRIPT_CSV>",
        "</TASK2_SPEAKER_CSV>",
        "<Transcript_TSV>",
        "see the <transcript> tab",
    ),
    *("?", "|", ",", '"', "'", "\u00e9", "\u65e5\u672c", "\U0001f389", " "),
]
raw_text = st.lists(
    st.one_of(
        st.sampled_from(RAW_PIECES),
        st.text(
            st.characters(blacklist_characters="\t\n\r", blacklist_categories=["Cs"]), max_size=6
        ),
    ),
    max_size=10,
).map(lambda pieces: "Well " + "".join(pieces) + " end")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), raw_text), min_size=1, max_size=8), raw_text)
def test_raw_markup_in_text_survives_verbatim(rows: list[tuple[int, str]], name: str) -> None:
    texts = [text for _, text in rows] + [name]
    assume(all(html.unescape(t) == t for t in texts))  # entities are decoded, by design
    body = "".join(f"00:{i:02d}\t{voice}\t{text}\n" for i, (voice, text) in enumerate(rows))
    output = (
        f"<TRANSCRIPT>\nstart\tvoice\ttext\n{body}</TRANSCRIPT>\n"
        f"<SPEAKERS>\nvoice\tname\trole\n1\t{name}\tHost\n</SPEAKERS>\n"
    )
    result = parse_text(output)
    assert [(s.voice, s.text) for s in result.segments] == [(v, t.strip()) for v, t in rows]
    assert result.speakers[0].name == name.strip()
    assert result.complete
    assert {i.code for i in result.issues} <= {"missing_column", "unknown_voice", "silent_speaker"}
