"""The compact output contract: table tags, columns and the value syntax (docs/format.md).

Everything here is pure and fast: the parser calls these functions once per cell.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from enum import StrEnum


class Table(StrEnum):
    TRANSCRIPT = "TRANSCRIPT"
    SPEAKERS = "SPEAKERS"
    EVENTS = "EVENTS"  # asked only with `events=true` (decision 0025)


# Canonical columns, in the order the prompt asks for. Free text is last in the transcript, so a
# stray tab inside it cannot shift another column.
COLUMNS: dict[Table, tuple[str, ...]] = {
    Table.TRANSCRIPT: ("start", "voice", "text"),
    Table.SPEAKERS: ("voice", "name", "company", "position", "role", "evidence"),
    Table.EVENTS: ("start", "end", "kind"),
}
# The column that absorbs surplus cells (a stray tab splits it) in each table.
ABSORBING_COLUMN = {Table.TRANSCRIPT: "text", Table.SPEAKERS: "position", Table.EVENTS: "kind"}
# seed 001's speaker table has no evidence column; an event's end may be left out
OPTIONAL_COLUMNS = frozenset({"evidence", "end"})
REQUIRED_COLUMNS = {
    Table.TRANSCRIPT: ("start", "text"),
    Table.SPEAKERS: ("voice", "name"),
    Table.EVENTS: ("start", "kind"),
}
START_NAMES = ("start", "start_time", "starttime", "timecode", "time", "timestamp", "begin", "ts")

# Header synonyms seen in model output (seed 001 writes `role_in_video`, and start, text, voice).
_SYNONYMS: dict[Table, dict[str, str]] = {
    Table.TRANSCRIPT: {
        **dict.fromkeys(START_NAMES, "start"),
        **dict.fromkeys(("voice", "voice_id", "speaker", "speaker_id", "spk"), "voice"),
        **dict.fromkeys(("text", "transcript", "utterance", "speech", "content", "words"), "text"),
    },
    Table.SPEAKERS: {
        **dict.fromkeys(("voice", "voice_id", "speaker", "speaker_id", "id"), "voice"),
        **dict.fromkeys(("name", "speaker_name", "full_name", "person"), "name"),
        **dict.fromkeys(
            ("company", "organization", "organisation", "org", "affiliation", "employer"),
            "company",
        ),
        **dict.fromkeys(("position", "title", "job_title", "job", "occupation"), "position"),
        **dict.fromkeys(("role", "role_in_video", "role_in_the_video", "video_role"), "role"),
        **dict.fromkeys(
            ("evidence", "evidence_timecode", "evidence_time", "evidence_start", "timecode"),
            "evidence",
        ),
    },
    Table.EVENTS: {
        **dict.fromkeys(START_NAMES, "start"),
        **dict.fromkeys(("end", "end_time", "endtime", "stop", "until", "to"), "end"),
        **dict.fromkeys(("kind", "event", "type", "sound", "label", "event_type"), "kind"),
    },
}
# Words a model may write for a kind of sound event (docs/format.md); brackets and case aside.
_EVENT_SYNONYMS = {
    **dict.fromkeys(("applause", "clapping", "claps", "clap", "applauding"), "applause"),
    **dict.fromkeys(("laughter", "laughing", "laughs", "laugh", "chuckles"), "laughter"),
    **dict.fromkeys(("cheering", "cheers", "cheer", "whistling", "whooping"), "cheering"),
    **dict.fromkeys(("music", "song", "singing", "jingle", "musical_sting"), "music"),
    **dict.fromkeys(("crowd", "crowd_noise", "audience", "chatter", "murmuring"), "crowd"),
    **dict.fromkeys(("footsteps", "steps", "walking"), "footsteps"),
}


def tag_name(names: str) -> str:
    """A tag's name: one of `names` (an alternation, captured), optionally prefixed `TASK<n>_`
    (seed 001) and suffixed `_CSV`, `_TSV` or `_TABLE`."""
    return rf"(?:TASK\d{{1,3}}[_-]?)?({names})(?:[_-]?(?:CSV|TSV|TABLE))?"


def tag_pattern(names: str) -> re.Pattern[str]:
    """A tag of one of `names` (`tag_name`), in any case, nothing else between the brackets
    (`<the transcript>` is text): group 1 is the closing slash, group 2 the name."""
    return re.compile(rf"<\s*(/?)\s*{tag_name(names)}\s*>", re.IGNORECASE | re.ASCII)


_TABLE_NAMES = r"TRANSCRIPT(?:ION)?S?|SEGMENTS?|SPEAKERS?|(?:SOUND[_-]?)?EVENTS?"
_TAG = tag_pattern(_TABLE_NAMES)
_TAG_NAME_ONLY = re.compile(tag_name(_TABLE_NAMES), re.IGNORECASE | re.ASCII)
_HEADER_CELL_STRIP = " \t\"'`*[]()#"
_UNKNOWN = frozenset({"", "?", "??", "-", "—", "n/a", "na", "none", "null", "unknown", "unk"})
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TIMECODE = re.compile(
    r"^[\[(]?\s*(?:(\d{1,3}):)??(\d{1,4}):(\d{1,2})(?:[.,](\d{1,3}))?\s*(?:[\])]|[-\u2013].*)?$"
)
_SECONDS = re.compile(r"^[\[(]?\s*(\d{1,6})(?:[.,](\d{1,3}))?\s*s?\s*[\])]?$")
_VOICE = re.compile(r"^(?:[A-Za-z#_ ]{0,12}?)[\s_#-]*(\d{1,4})$")


def table_of_tag(name: str) -> Table | None:
    """The table a tag names, across spellings: TRANSCRIPT, Transcript_TSV, TASK1_TRANSCRIPT_CSV…;
    None for any other name (`SPEAKER NOTES`, `the transcript`, `SPEAKERS_LIST`)."""
    match = _TAG_NAME_ONLY.fullmatch(name.strip())
    return None if match is None else _table_of_name(match.group(1))


def _table_of_name(name: str) -> Table:
    first = name[:2].upper()
    if first == "SP":
        return Table.SPEAKERS
    return Table.EVENTS if first in ("EV", "SO") else Table.TRANSCRIPT


def find_tags(line: str) -> list[tuple[int, int, Table, bool]]:
    """(start, end, table, is_closing) of each table tag in a line; other `<…>` is text. Whether a
    tag is markup also depends on where it stands (`StreamParser._tagged_line` decides)."""
    if "<" not in line:
        return []
    return [
        (match.start(), match.end(), _table_of_name(match.group(2)), match.group(1) == "/")
        for match in _TAG.finditer(line)
    ]


def column_of(table: Table, header_cell: str) -> str | None:
    """The canonical column a header cell names, or None."""
    return _SYNONYMS[table].get(header_key(header_cell))


def header_key(header_cell: str) -> str:
    """A header cell as its synonyms are listed: bare, lower case, `_` between words."""
    return header_cell.strip(_HEADER_CELL_STRIP).lower().replace(" ", "_").replace("-", "_")


def parse_timecode(value: str) -> int | None:
    """Milliseconds from `5`, `0:05`, `00:05`, `00:05.500`, `1:02:03`, `65:42`, `[00:05]`…; None if
    the value is not a timecode (seconds above 59 in a MM:SS form are not)."""
    if len(value) == 5 and value[2] == ":" and value[:2].isdecimal() and value[3:].isdecimal():
        whole_seconds = int(value[3:])  # MM:SS and H:MM:SS, the common cases, kept fast
        return (int(value[:2]) * 60 + whole_seconds) * 1000 if whole_seconds < 60 else None
    if len(value) == 7 and value[1] == value[4] == ":" and value.replace(":", "").isdecimal():
        mm, ss = int(value[2:4]), int(value[5:])
        if mm < 60 and ss < 60:
            return ((int(value[0]) * 60 + mm) * 60 + ss) * 1000
    match = _TIMECODE.match(value.strip())
    if match:
        hours, minutes, seconds, fraction = match.groups()
        if int(seconds) > 59:
            return None
        total = (int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)
        return total * 1000 + _fraction_ms(fraction)
    match = _SECONDS.match(value.strip())
    if match:
        return int(match.group(1)) * 1000 + _fraction_ms(match.group(2))
    return None


def _fraction_ms(fraction: str | None) -> int:
    return int(fraction.ljust(3, "0")) if fraction else 0


def format_timecode(ms: int, with_hours: bool = False) -> str:
    """`MM:SS`, or `H:MM:SS` when asked (media of an hour or more)."""
    minutes, seconds = divmod(ms // 1000, 60)
    if with_hours:
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"


def clock(ms: int) -> str:
    """A moment named in a message: `MM:SS`, or `H:MM:SS` from an hour on."""
    return format_timecode(ms, with_hours=ms >= 3_600_000)


def event_kind(value: str) -> str | None:
    """The kind a cell names (`applause`, `[Applause]`, `clapping`, `crowd noise`), or None."""
    key = value.strip(_HEADER_CELL_STRIP + ".").lower().replace(" ", "_").replace("-", "_")
    return _EVENT_SYNONYMS.get(key)


def parse_voice(value: str) -> int | None:
    """The number of `1`, `V1`, `voice 1`, `Speaker 1`, `speaker_2`, `#3`; None if there is none."""
    if value.isdecimal() and len(value) <= 4:
        return int(value)
    match = _VOICE.match(value.strip())
    return int(match.group(1)) if match else None


def is_unknown(value: str) -> bool:
    return value.strip().lower() in _UNKNOWN


def unquote(value: str) -> tuple[str, bool]:
    """Strip one level of CSV-style double quotes; returns (value, whether it changed)."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].replace('""', '"'), True
    return value, False


def unescape_entities(value: str) -> tuple[str, bool]:
    """Decode HTML entities (`&amp;`, `&#39;`); a bare `&` or `<` is kept as text."""
    if "&" not in value:
        return value, False
    decoded = _ENTITY.sub(lambda m: html.unescape(m.group(0)), value)
    return decoded, decoded != value


_ESCAPE_NEEDED = re.compile(r"&(?:#\d|#[xX][0-9a-fA-F]|[A-Za-z][A-Za-z0-9]*;)|<\s*/?\s*[A-Za-z]")


def escape_text(value: str) -> str:
    """A value as it must be written so that the parser reads back exactly `value` (stripped)."""
    value = " ".join(value.replace("\t", " ").replace("\r", " ").split("\n")).strip()
    if _ESCAPE_NEEDED.search(value):
        value = value.replace("&", "&amp;").replace("<", "&lt;")
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = '"' + value.replace('"', '""') + '"'
    return value


def render_output(
    segments: Iterable[tuple[int, int | None, str]],
    speakers: Iterable[tuple[int, str | None, str | None, str | None, str | None, int | None]],
    with_hours: bool = False,
    events: Iterable[tuple[int, int | None, str]] | None = None,
) -> str:
    """Write the compact format, as the model is asked to: segments (start_ms, voice, text) and
    speakers (voice, name, company, position, role, evidence_ms); None is written `?`. `events`
    (start_ms, end_ms, kind), when given, is the third table."""
    lines = [open_tag(Table.TRANSCRIPT)]
    lines += [segment_line(*segment, with_hours) for segment in segments]
    lines += [f"</{Table.TRANSCRIPT.value}>", open_tag(Table.SPEAKERS)]
    lines += [speaker_line(*speaker, with_hours) for speaker in speakers]
    lines.append(f"</{Table.SPEAKERS.value}>")
    if events is not None:
        lines.append(open_tag(Table.EVENTS))
        lines += [event_line(*event, with_hours) for event in events]
        lines.append(f"</{Table.EVENTS.value}>")
    return "\n".join(lines) + "\n"


def open_tag(table: Table) -> str:
    """A table's opening tag and its header row (two lines, no newline at the end)."""
    return f"<{table.value}>\n" + "\t".join(COLUMNS[table])


def segment_line(start_ms: int, voice: int | None, text: str, with_hours: bool = False) -> str:
    voice_cell = "?" if voice is None else str(voice)
    return f"{format_timecode(start_ms, with_hours)}\t{voice_cell}\t{escape_text(text)}"


def speaker_line(
    voice: int,
    name: str | None,
    company: str | None,
    position: str | None,
    role: str | None,
    evidence_ms: int | None,
    with_hours: bool = False,
) -> str:
    def cell(value: str | None) -> str:
        return "?" if value is None else escape_text(value) or "?"

    evidence = "?" if evidence_ms is None else format_timecode(evidence_ms, with_hours)
    return "\t".join([str(voice), *(cell(f) for f in (name, company, position, role)), evidence])


def event_line(start_ms: int, end_ms: int | None, kind: str, with_hours: bool = False) -> str:
    end = "?" if end_ms is None else format_timecode(end_ms, with_hours)
    return f"{format_timecode(start_ms, with_hours)}\t{end}\t{kind}"
