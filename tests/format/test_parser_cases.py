"""A table of real-looking model outputs and exactly what the parser must make of them.

Each case states the segments (start_ms, voice, text), the speakers it must find, whether the output
is complete, and the exact multiset of issue codes: an unexpected repair fails the case too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from functions.format.models import MAX_VOICE_ID
from functions.format.parser import parse_text
from functions.format.tables import Table, table_of_tag
from tests.paths import DATA

TRAILER = (DATA / "trailer.tsv.txt").read_text()
TRAILER_ARTICLE = (DATA / "trailer.article.txt").read_text()

T_HEAD = "start\tvoice\ttext"
S_HEAD = "voice\tname\tcompany\tposition\trole\tevidence"
SPK_1 = "1\tAda Lovelace\tAnalytical Engines\tEngineer\tHost\t00:01"
SPK_1_2 = f"{SPK_1}\n2\tCharles Babbage\t?\t?\tGuest\t?"


def doc(transcript: str, speakers: str = SPK_1_2, t_tag: str = "TRANSCRIPT") -> str:
    """A complete output with our tags around the given table bodies (header included)."""
    s_tag = "SPEAKERS"
    return f"<{t_tag}>\n{transcript}\n</{t_tag}>\n<{s_tag}>\n{S_HEAD}\n{speakers}\n</{s_tag}>\n"


TWO = f"{T_HEAD}\n00:01\t1\tHello there.\n00:04\t2\tHi, Ada."
TWO_SEGMENTS = [(1000, 1, "Hello there."), (4000, 2, "Hi, Ada.")]
TWO_2 = "00:04\t2\tHi, Ada."  # the second row of TWO
E_HEAD = "start\tend\tkind"


def with_events(body: str, tag: str = "EVENTS") -> str:
    """`doc(TWO)` with a sound events table after the speakers (decision 0025)."""
    return doc(TWO) + f"<{tag}>\n{body}\n</{tag}>\n"


@dataclass
class Case:
    id: str
    text: str
    segments: list[tuple[int, int | None, str]] | int
    issues: list[str] = field(default_factory=list)
    complete: bool = True
    speakers: dict[int, str | None] | None = None  # voice -> name, when checked
    duration_ms: int | None = None
    events: list[tuple[int, int | None, str]] | None = None  # None: no events table


CASES = [
    Case("trailer-ours", TRAILER, 13, speakers={1: "Professor Hannah Fry", 6: "Douglas Eck"}),
    Case("trailer-article", TRAILER_ARTICLE, 13, speakers={2: "Demis Hassabis", 3: "Anca Dragan"}),
    Case("canonical", doc(TWO), TWO_SEGMENTS, speakers={1: "Ada Lovelace", 2: "Charles Babbage"}),
    Case(
        "prose-and-fences",
        "Sure! Here is the transcription you asked for:\n\n```xml\n" + doc(TWO) + "```\n"
        "Let me know if you need anything else.",
        TWO_SEGMENTS,
    ),
    Case("markdown-heading", "**Transcript**\n\n" + doc(TWO), TWO_SEGMENTS),
    Case(
        "lowercase-tags",
        doc(TWO).replace("TRANSCRIPT", "transcript").replace("SPEAKERS", "speakers"),
        TWO_SEGMENTS,
    ),
    Case(
        "tag-variants",
        doc(TWO, t_tag="Transcript_TSV").replace("SPEAKERS>", "SPEAKER_TABLE>"),
        TWO_SEGMENTS,
    ),
    Case("spaced-tags", doc(TWO).replace("<TRANSCRIPT>", "< TRANSCRIPT >"), TWO_SEGMENTS),
    Case("crlf", doc(TWO).replace("\n", "\r\n"), TWO_SEGMENTS),
    Case("blank-lines", doc(TWO.replace("\n", "\n\n")), TWO_SEGMENTS),
    Case(
        "missing-header",
        doc("00:01\t1\tHello there.\n00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
        issues=["missing_header"],
    ),
    Case(
        "missing-header-article-order",
        doc("00:01\tHello there.\t1\n00:04\tHi, Ada.\t2"),
        TWO_SEGMENTS,
        issues=["missing_header"],
    ),
    Case(
        "reordered-header",
        doc("voice\tstart\ttext\n1\t00:01\tHello there.\n2\t00:04\tHi, Ada."),
        TWO_SEGMENTS,
    ),
    Case(
        "renamed-header",
        doc("timecode\tspeaker\ttext\n00:01\t1\tHello there.\n00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
    ),
    Case(
        "time-header-bold",
        doc("**time**\t**speaker_id**\t**utterance**\n00:01\t1\tHello there.\n00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
    ),
    Case(
        "speaker-synonyms",
        "<TRANSCRIPT>\n" + TWO + "\n</TRANSCRIPT>\n<SPEAKERS>\n"
        "speaker\tname\torganization\ttitle\trole_in_video\n"
        "1\tAda Lovelace\tAnalytical Engines\tEngineer\tHost\n2\tCharles Babbage\t?\t?\tGuest\n"
        "</SPEAKERS>\n",
        TWO_SEGMENTS,
        speakers={1: "Ada Lovelace", 2: "Charles Babbage"},
    ),
    Case(
        "unknown-column",
        doc("start\tvoice\tconfidence\ttext\n00:01\t1\t0.9\tHello there.\n00:04\t2\t0.8\tHi, Ada."),
        TWO_SEGMENTS,
        issues=["unknown_column"],
    ),
    Case(
        "missing-voice-column",
        doc("start\ttext\n00:01\tHello there.\n00:04\tHi, Ada.", speakers=SPK_1),
        [(1000, None, "Hello there."), (4000, None, "Hi, Ada.")],
        issues=["missing_column", "silent_speaker"],
    ),
    Case(
        "row-without-text",
        doc(f"{TWO}\n00:06\t1"),
        TWO_SEGMENTS,
        issues=["missing_fields", "empty_text"],
    ),
    Case(
        "row-without-voice",
        doc(f"{TWO}\n00:06\tGoodbye."),
        [*TWO_SEGMENTS, (6000, None, "Goodbye.")],
        issues=["missing_fields", "missing_voice"],
    ),
    Case(
        "stray-tab-in-text",
        doc(f"{T_HEAD}\n00:01\t1\tHello\tthere.\n00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
        issues=["extra_fields"],
    ),
    Case(
        "double-tab",
        doc(f"{T_HEAD}\n00:01\t1\t\tHello there.\n00:04\t2\tHi, Ada.\t"),
        TWO_SEGMENTS,
        issues=["extra_fields"],
    ),
    Case(
        "leading-and-trailing-space",
        doc(f"{T_HEAD}\n  00:01\t1\tHello there.  \n\t00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
    ),
    Case(
        "quoted-fields",
        doc(f'{T_HEAD}\n00:01\t1\t"Hello there."\n00:04\t2\t"She said ""hi"", Ada."'),
        [(1000, 1, "Hello there."), (4000, 2, 'She said "hi", Ada.')],
        issues=["quoted_field", "quoted_field"],
    ),
    Case(
        "html-entities",
        doc(f"{T_HEAD}\n00:01\t1\tR&amp;D at AT&amp;T &#8212; it&#39;s &lt;fine&gt;."),
        [(1000, 1, "R&D at AT&T \u2014 it's <fine>.")],
        issues=["html_entity", "silent_speaker"],
    ),
    Case(
        "raw-lt-amp",
        doc(f"{T_HEAD}\n00:01\t1\tIf x < 3 & y > 2 then <b>bold</b> R&D&co;"),
        [(1000, 1, "If x < 3 & y > 2 then <b>bold</b> R&D&co;")],
        issues=["silent_speaker"],
    ),
    Case(
        "duplicated-header",
        doc(f"{T_HEAD}\n00:01\t1\tHello there.\n{T_HEAD}\n00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
        issues=["duplicate_header"],
    ),
    Case(
        "timecode-forms",
        doc(
            f"{T_HEAD}\n5\t1\ta\n0:06\t1\tb\n00:07\t1\tc\n00:07.500\t1\td\n[00:08]\t1\te\n"
            "00:09-00:11\t1\tf\n1:02:03\t1\tg\n65:42\t1\th",
            speakers=SPK_1,
        ),
        [
            (5000, 1, "a"),
            (6000, 1, "b"),
            (7000, 1, "c"),
            (7500, 1, "d"),
            (8000, 1, "e"),
            (9000, 1, "f"),
            (3723000, 1, "g"),
            (3942000, 1, "h"),
        ],
    ),
    Case(
        "voice-forms",
        doc(
            f"{T_HEAD}\n00:01\t1\ta\n00:02\tV1\tb\n00:03\tvoice 1\tc\n00:04\tSpeaker 2\td\n"
            "00:05\tspeaker_2\te\n00:06\t?\tf"
        ),
        [
            (1000, 1, "a"),
            (2000, 1, "b"),
            (3000, 1, "c"),
            (4000, 2, "d"),
            (5000, 2, "e"),
            (6000, None, "f"),
        ],
    ),
    Case(
        "speaker-voice-forms",
        doc(TWO, speakers="Voice 1\tAda Lovelace\t?\t?\tHost\t?\nSpeaker 2\tCharles\t?\t?\t?\t?"),
        TWO_SEGMENTS,
        speakers={1: "Ada Lovelace", 2: "Charles"},
    ),
    Case(
        "silent-speaker",
        doc(TWO, speakers=f"{SPK_1_2}\n3\tThe Narrator\t?\t?\tNarrator\t?"),
        TWO_SEGMENTS,
        issues=["silent_speaker"],
    ),
    Case(
        "voice-missing-from-speakers",
        doc(f"{TWO}\n00:06\t3\tWho am I?"),
        [*TWO_SEGMENTS, (6000, 3, "Who am I?")],
        issues=["unknown_voice"],
        speakers={1: "Ada Lovelace", 2: "Charles Babbage", 3: None},
    ),
    Case(
        "timecodes-backwards",
        doc(f"{T_HEAD}\n00:05\t1\tLater.\n00:02\t2\tEarlier."),
        [(5000, 1, "Later."), (2000, 2, "Earlier.")],
        issues=["timecode_backwards"],
    ),
    Case(
        "past-media-end",
        doc(f"{TWO}\n01:30\t1\tToo late."),
        [*TWO_SEGMENTS, (90000, 1, "Too late.")],
        issues=["past_media_end"],
        duration_ms=60_000,
    ),
    Case(
        "cut-mid-row",
        f"<TRANSCRIPT>\n{TWO}\n00:06\t1\tAnd then we wen",
        TWO_SEGMENTS,
        issues=["truncated_row", "cut_off", "unknown_voice", "unknown_voice"],
        complete=False,
    ),
    Case(
        "cut-after-transcript",
        f"<TRANSCRIPT>\n{TWO}\n</TRANSCRIPT>\n",
        TWO_SEGMENTS,
        issues=["cut_off", "unknown_voice", "unknown_voice"],
        complete=False,
    ),
    Case(
        "cut-in-speakers",
        f"<TRANSCRIPT>\n{TWO}\n</TRANSCRIPT>\n<SPEAKERS>\n{S_HEAD}\n{SPK_1}\n2\tCharl",
        TWO_SEGMENTS,
        issues=["truncated_row", "cut_off", "unknown_voice"],
        complete=False,
        speakers={1: "Ada Lovelace", 2: None},
    ),
    Case(
        "cut-mid-tag",
        f"<TRANSCRIPT>\n{TWO}\n</TRANSCRIPT>\n<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAK",
        TWO_SEGMENTS,
        issues=["truncated_row", "cut_off"],
        complete=False,
    ),
    Case(
        "missing-closing-tag",
        f"<TRANSCRIPT>\n{TWO}\n<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>",
        TWO_SEGMENTS,
        issues=["missing_closing_tag"],
    ),
    Case(
        "missing-opening-tag",
        f"{TWO}\n</TRANSCRIPT>\n<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>",
        TWO_SEGMENTS,
        issues=["missing_opening_tag"],
    ),
    Case(
        "no-tags-at-all",
        f"{TWO}\n\n{S_HEAD}\n{SPK_1_2}\n",
        TWO_SEGMENTS,
        issues=["missing_opening_tag", "missing_closing_tag", "missing_opening_tag", "cut_off"],
        complete=False,
    ),
    Case(
        "tags-inline",
        f"<TRANSCRIPT>{T_HEAD}\n00:01\t1\tHello there.\n00:04\t2\tHi, Ada.</TRANSCRIPT><SPEAKERS>"
        f"\n{S_HEAD}\n{SPK_1_2}</SPEAKERS>",
        TWO_SEGMENTS,
    ),
    Case(
        "stray-closing-tag",
        doc(TWO) + "</TRANSCRIPT>\n",
        TWO_SEGMENTS,
        issues=["stray_closing_tag"],
    ),
    Case(
        "repeated-table",
        f"<TRANSCRIPT>\n{T_HEAD}\n00:01\t1\tHello there.\n</TRANSCRIPT>\n"
        f"<TRANSCRIPT>\n{T_HEAD}\n00:04\t2\tHi, Ada.\n</TRANSCRIPT>\n"
        f"<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>\n",
        TWO_SEGMENTS,
        issues=["repeated_table"],
    ),
    Case(
        "speakers-first",
        f"<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>\n<TRANSCRIPT>\n{TWO}\n</TRANSCRIPT>\n",
        TWO_SEGMENTS,
    ),
    Case(
        "bad-timecode",
        doc(f"{TWO}\nsoon\t1\tNot a time."),
        TWO_SEGMENTS,
        issues=["bad_timecode"],
    ),
    Case(
        "seconds-over-59",
        doc(f"{TWO}\n00:75\t1\tNot a time either."),
        TWO_SEGMENTS,
        issues=["bad_timecode"],
    ),
    Case(
        "name-in-voice-column",
        doc(f"{T_HEAD}\n00:01\t1\tHello there.\n00:04\tCharles\tHi, Ada.", speakers=SPK_1),
        [(1000, 1, "Hello there."), (4000, None, "Hi, Ada.")],
        issues=["bad_voice"],
    ),
    Case(
        "markdown-pipe-table",
        "<TRANSCRIPT>\n| start | voice | text |\n|---|---|---|\n| 00:01 | 1 | Hello there. |\n"
        f"| 00:04 | 2 | Hi, Ada. |\n</TRANSCRIPT>\n<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>",
        TWO_SEGMENTS,
        issues=["delimiter"],
    ),
    Case(
        "comma-csv",
        '<TRANSCRIPT>\nstart,voice,text\n00:01,1,Hello there.\n00:04,2,"Hi, Ada."\n'
        f"</TRANSCRIPT>\n<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>",
        TWO_SEGMENTS,
        issues=["delimiter"],
    ),
    Case(
        "prose-only",
        "I'm sorry, but I can't help with transcribing this video.",
        [],
        issues=["no_tables"],
        complete=False,
    ),
    Case("empty-transcript", doc(T_HEAD, speakers=""), []),
    Case(
        "duplicate-speaker",
        doc(TWO, speakers=f"{SPK_1_2}\n2\tC. Babbage\t?\t?\t?\t?"),
        TWO_SEGMENTS,
        issues=["duplicate_speaker"],
        speakers={2: "Charles Babbage"},
    ),
    Case(
        "unknown-spellings",
        doc(TWO, speakers=f"{SPK_1}\n2\tN/A\tunknown\t\t-\t?"),
        TWO_SEGMENTS,
        speakers={2: None},
    ),
    Case(
        "speaker-stray-tab",
        doc(
            TWO,
            speakers="1\tAda Lovelace\tAE\tCo-Founder,\tCASP\tHost\t00:01\n"
            "2\tCharles Babbage\t?\t?\tGuest\t?",
        ),
        TWO_SEGMENTS,
        issues=["extra_fields"],
    ),
    Case(
        "unicode",
        doc(f"{T_HEAD}\n00:01\t1\tÇa marche très bien ! 日本語もOK 🎉\n00:04\t2\t¿Qué tal?"),
        [(1000, 1, "Ça marche très bien ! 日本語もOK 🎉"), (4000, 2, "¿Qué tal?")],
    ),
    Case(
        "fence-inside-table",
        doc(f"{T_HEAD}\n```\n00:01\t1\tHello there.\n00:04\t2\tHi, Ada."),
        TWO_SEGMENTS,
        issues=["noise"],
    ),
    Case(
        "overlong-text",
        doc(f"{T_HEAD}\n00:01\t1\t{'a' * 6000}", speakers=SPK_1),
        [(1000, 1, "a" * 5000)],
        issues=["field_too_long"],
    ),
    Case(
        "unknown-speaker-column",
        f"<TRANSCRIPT>\n{TWO}\n</TRANSCRIPT>\n<SPEAKERS>\nvoice\tname\tnotes\tcompany\n"
        "1\tAda Lovelace\tlikes maths\tAnalytical Engines\n2\tCharles Babbage\t?\t?\n</SPEAKERS>\n",
        TWO_SEGMENTS,
        issues=["unknown_column", "missing_column"],
        speakers={1: "Ada Lovelace", 2: "Charles Babbage"},
    ),
    Case(
        "unknown-columns-both-tables",
        "<TRANSCRIPT>\nstart\tvoice\tmood\tlang\ttext\n00:01\t1\tcalm\ten\tHello there.\n"
        "00:04\t2\t?\ten\tHi, Ada.\n</TRANSCRIPT>\n<SPEAKERS>\n"
        "voice\tage\tname\tcompany\tposition\trole\tevidence\tnotes\tmore\n"
        "1\t36\tAda Lovelace\tAE\tEngineer\tHost\t00:01\tx\ty\n2\t?\tCharles Babbage\n"
        "</SPEAKERS>\n",
        TWO_SEGMENTS,
        issues=["unknown_column", "unknown_column", "missing_fields"],
        speakers={1: "Ada Lovelace", 2: "Charles Babbage"},
    ),
    Case(
        "lt-and-tag-word-in-text",
        doc(
            f"{T_HEAD}\n00:01\t1\tHello there.\n00:02\t1\tif a < b speakers > c\n00:04\t2\tHi, Ada."
        ),
        [(1000, 1, "Hello there."), (2000, 1, "if a < b speakers > c"), (4000, 2, "Hi, Ada.")],
    ),
    Case(
        "table-tag-inside-text",
        doc(f"{T_HEAD}\n00:01\t1\tHello there.\n00:03\t2\tsee the <transcript> tab\n{TWO_2}"),
        [(1000, 1, "Hello there."), (3000, 2, "see the <transcript> tab"), (4000, 2, "Hi, Ada.")],
    ),
    Case(
        "tag-like-text-in-speakers",
        doc(
            TWO, speakers=f"{SPK_1}\n2\tCharles <SPEAKERS> Babbage\t</TRANSCRIPT> & co\t?\tGuest\t?"
        ),
        TWO_SEGMENTS,
        speakers={2: "Charles <SPEAKERS> Babbage"},
    ),
    Case(
        "loose-tag-names-are-text",
        doc(
            f"{T_HEAD}\n00:01\t1\t<speaker notes> Hello there.\n"
            "00:04\t2\tHi, Ada. <the transcript> <SPEAKERS_LIST>"
        ),
        [
            (1000, 1, "<speaker notes> Hello there."),
            (4000, 2, "Hi, Ada. <the transcript> <SPEAKERS_LIST>"),
        ],
    ),
    Case(
        "prose-before-tag-on-its-line",
        "Here is the output: <TRANSCRIPT>\n" + doc(TWO).split("\n", 1)[1] + "Done.\n",
        TWO_SEGMENTS,
    ),
    Case(
        "voice-ids-capped",
        doc(
            f"{TWO}\n00:06\t100\tStill fine.\n00:07\t101\tToo many.\n00:08\tSpeaker 5000\tAnd more."
        ),
        [
            *TWO_SEGMENTS,
            (6000, 100, "Still fine."),
            (7000, None, "Too many."),
            (8000, None, "And more."),
        ],
        issues=["too_many_voices", "unknown_voice"],
    ),
    Case(
        "superscript-digits",
        doc(f"{TWO}\n\u00b2\u00b3:00\t1\tNot a time.\n00:05\t\u00b2\tNot a voice."),
        [*TWO_SEGMENTS, (5000, None, "Not a voice.")],
        issues=["bad_timecode", "bad_voice"],
    ),
    Case(
        "carriage-return-in-csv-row",
        '<TRANSCRIPT>\nstart,voice,text\n00:01,1,Hello\rthere.\n00:04,2,"Hi, Ada."\n'
        f"</TRANSCRIPT>\n<SPEAKERS>\n{S_HEAD}\n{SPK_1_2}\n</SPEAKERS>",
        [(1000, 1, "Hello\rthere."), (4000, 2, "Hi, Ada.")],
        issues=["delimiter"],
    ),
    Case(
        "long-media-hours",
        doc(f"{T_HEAD}\n0:59:58\t1\tStill here.\n1:00:03\t2\tAn hour in."),
        [(3598000, 1, "Still here."), (3603000, 2, "An hour in.")],
        duration_ms=3_700_000,
    ),
    Case(
        "events-canonical",
        with_events(f"{E_HEAD}\n00:02\t00:05\tapplause\n00:06\t00:07\tlaughter"),
        TWO_SEGMENTS,
        events=[(2000, 5000, "applause"), (6000, 7000, "laughter")],
    ),
    Case(
        "events-spelling-variants",
        with_events(
            "time\tend_time\tevent\n[00:02]\t00:05\t[Applause]\n00:03\t?\tLaughs\n"
            "00:04\t00:04\tcrowd noise\n00:05\t00:09\tMusic.",
            tag="Sound_Events",
        ),
        TWO_SEGMENTS,
        events=[
            (2000, 5000, "applause"),
            (3000, None, "laughter"),
            (4000, None, "crowd"),
            (5000, 9000, "music"),
        ],
        issues=["event_without_end", "event_without_end"],
    ),
    Case(
        "events-unknown-kind-dropped",
        with_events(
            f"{E_HEAD}\n00:02\t00:05\tdog barking\nsoon\t00:06\tmusic\n00:06\t00:08\tmusic"
        ),
        TWO_SEGMENTS,
        events=[(6000, 8000, "music")],
        issues=["unknown_event_kind", "bad_timecode"],
    ),
    Case(
        "events-empty-table",
        with_events(E_HEAD),
        TWO_SEGMENTS,
        events=[],
    ),
    Case(
        "events-no-tags-after-speakers",
        doc(TWO) + f"{E_HEAD}\n00:02\t00:05\tapplause\n",
        TWO_SEGMENTS,
        events=[(2000, 5000, "applause")],
        issues=["missing_opening_tag", "cut_off"],
        complete=False,
    ),
    Case(
        "events-cut-off-mid-row",
        doc(TWO) + f"<EVENTS>\n{E_HEAD}\n00:02\t00:05\tapplause\n00:09\t00:1",
        TWO_SEGMENTS,
        events=[(2000, 5000, "applause")],
        issues=["truncated_row", "cut_off"],
        complete=False,
    ),
    Case(
        "events-past-media-end",
        with_events(f"{E_HEAD}\n00:08\t00:12\tapplause\n00:11\t00:12\tcheering"),
        TWO_SEGMENTS,
        events=[(8000, 10_000, "applause"), (11_000, None, "cheering")],
        issues=["past_media_end", "event_without_end"],
        duration_ms=10_000,
    ),
]


def _check(case: Case) -> None:
    result = parse_text(case.text, case.duration_ms)
    got = [(s.start_ms, s.voice, s.text) for s in result.segments]
    if isinstance(case.segments, int):
        assert len(got) == case.segments
    else:
        assert got == case.segments
    assert Counter(i.code for i in result.issues) == Counter(case.issues), result.issues
    assert result.complete is case.complete
    events = (
        None if result.events is None else [(e.start_ms, e.end_ms, e.kind) for e in result.events]
    )
    assert events == case.events
    if case.speakers is not None:
        names = {s.voice: s.name for s in result.speakers}
        for voice, name in case.speakers.items():
            assert names[voice] == name


def test_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    _check(case)


def test_article_and_canonical_trailer_agree() -> None:
    ours, article = parse_text(TRAILER), parse_text(TRAILER_ARTICLE)
    assert ours.segments == article.segments
    assert [(s.voice, s.name, s.company, s.position, s.role) for s in ours.speakers] == [
        (s.voice, s.name, s.company, s.position, s.role) for s in article.speakers
    ]
    assert ours.speakers[0].evidence_ms == 0 and article.speakers[0].evidence_ms is None


def test_end_times_follow_next_start_and_duration() -> None:
    result = parse_text(doc(TWO), duration_ms=9000)
    assert [(s.start_ms, s.end_ms) for s in result.segments] == [(1000, 4000), (4000, 9000)]
    unknown_end = parse_text(doc(TWO))
    assert unknown_end.segments[-1].end_ms is None


def test_cut_off_keeps_every_complete_row() -> None:
    full = parse_text(TRAILER)
    cut_at = TRAILER.index("00:48")
    result = parse_text(TRAILER[: cut_at + 12])
    assert result.complete is False
    rows = [(s.start_ms, s.voice, s.text) for s in result.segments]
    assert rows == [(s.start_ms, s.voice, s.text) for s in full.segments[:10]]


def test_unknown_speaker_columns_are_ignored_not_shifted() -> None:
    text = (
        f"<TRANSCRIPT>\n{TWO}\n</TRANSCRIPT>\n<SPEAKERS>\nvoice\tname\tnotes\tcompany\n"
        "1\tAda Lovelace\tlikes maths\tAnalytical Engines\n</SPEAKERS>\n"
    )
    (ada, _) = parse_text(text).speakers
    assert (ada.name, ada.company, ada.position) == ("Ada Lovelace", "Analytical Engines", None)


def test_end_times_never_pass_a_known_duration() -> None:
    text = doc(f"{T_HEAD}\n00:01\t1\ta\n00:50\t1\tb\n01:25\t2\tc\n01:30\t2\td")
    result = parse_text(text, duration_ms=60_000)
    ends = [(s.start_ms, s.end_ms) for s in result.segments]
    assert ends == [(1000, 50_000), (50_000, 60_000), (85_000, None), (90_000, None)]
    assert [i.code for i in result.issues] == ["past_media_end", "past_media_end"]


def test_too_many_voices_is_one_issue_with_a_count() -> None:
    rows = "\n".join(f"00:{i % 60:02d}\t{i}\tRow {i}." for i in range(1, 1001))
    result = parse_text(doc(f"{T_HEAD}\n{rows}"))
    voices = {s.voice for s in result.segments}
    assert voices == {*range(1, MAX_VOICE_ID + 1), None}
    (issue,) = [i for i in result.issues if i.code == "too_many_voices"]
    assert f"{1000 - MAX_VOICE_ID} row(s)" in issue.message


@pytest.mark.parametrize(
    ("name", "table"),
    [
        *[(n, Table.TRANSCRIPT) for n in ("TRANSCRIPT", "transcript", "Transcript_TSV")],
        *[(n, Table.TRANSCRIPT) for n in ("TRANSCRIPTION", "TASK1_TRANSCRIPT_CSV", "segments")],
        *[
            (n, Table.SPEAKERS)
            for n in ("SPEAKERS", " Speaker ", "SPEAKER_TABLE", "TASK2_SPEAKER_CSV")
        ],
        *[(n, None) for n in ("speaker notes", "the transcript", "SPEAKERS_LIST", "b speakers")],
        *[(n, None) for n in ("TRANSCRIPT TSV", "TRANSCRIBE", "MY_TRANSCRIPT", "b")],
        *[(n, Table.EVENTS) for n in ("EVENTS", "sound_events", "Event_TSV", "SOUND-EVENT")],
        *[(n, None) for n in ("EVENTS_LIST", "sounds", "the events")],
    ],
)
def test_tag_names(name: str, table: Table | None) -> None:
    assert table_of_tag(name) is table
