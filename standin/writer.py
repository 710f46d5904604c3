"""The compact format as the stand-in writes it: the two tab-separated tables the prompt asks
for (docs/format.md, "The canonical form"). The stand-in's own code: it shares none with the
product's format package, so a defect there cannot hide in the stand-in's answers too."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from standin.authored import Event, Row, Speaker

TRANSCRIPT, SPEAKERS, EVENTS = "TRANSCRIPT", "SPEAKERS", "EVENTS"
EVENT_COLUMNS = ("start", "end", "kind")
TRANSCRIPT_COLUMNS = ("start", "voice", "text")
SPEAKER_COLUMNS = ("voice", "name", "company", "position", "role", "evidence")
ONE_HOUR_MS = 3_600_000  # timecodes reaching an hour are written H:MM:SS
UNKNOWN = "?"

_MARKUP = re.compile(r"<|&(?:#\w+|[A-Za-z]\w*);")  # what a reader could take for a tag or entity
_TIMECODE = re.compile(r"(?:(\d{1,2}):)?(\d{2}):(\d{2})(?:\.(\d{3}))?")


def write(
    rows: Iterable[Row], speakers: Iterable[Speaker], end_ms: int, millis: bool = False
) -> str:
    """Both tables; timecodes `MM:SS`, `H:MM:SS` when the answer's timecodes reach an hour
    (`end_ms`, its last instant), with milliseconds (`MM:SS.sss`) when `millis`."""
    hours = end_ms >= ONE_HOUR_MS
    lines = [f"<{TRANSCRIPT}>", "\t".join(TRANSCRIPT_COLUMNS)]
    lines += [
        "\t".join([timecode(r.start_ms, hours, millis), _voice(r.voice), cell(r.text)])
        for r in rows
    ]
    lines += [f"</{TRANSCRIPT}>", f"<{SPEAKERS}>", "\t".join(SPEAKER_COLUMNS)]
    lines += [_speaker_line(s, hours, millis) for s in speakers]
    lines.append(f"</{SPEAKERS}>")
    return "\n".join(lines) + "\n"


def write_events(events: Iterable[Event], end_ms: int, millis: bool = False) -> str:
    """The third table, asked for by a prompt naming `<EVENTS>`: timecodes as `write`'s."""
    hours = end_ms >= ONE_HOUR_MS
    lines = [f"<{EVENTS}>", "\t".join(EVENT_COLUMNS)]
    lines += [
        "\t".join([timecode(e.start_ms, hours, millis), timecode(e.end_ms, hours, millis), e.kind])
        for e in events
    ]
    lines.append(f"</{EVENTS}>")
    return "\n".join(lines) + "\n"


def _speaker_line(speaker: Speaker, hours: bool, millis: bool) -> str:
    who = (speaker.name, speaker.company, speaker.position, speaker.role)
    evidence = speaker.evidence_ms
    when = UNKNOWN if evidence is None else timecode(evidence, hours, millis)
    return "\t".join([str(speaker.voice), *(cell(value) for value in who), when])


def _voice(voice: int | None) -> str:
    return UNKNOWN if voice is None else str(voice)


def timecode(ms: int, hours: bool = False, millis: bool = False) -> str:
    """`MM:SS` (minutes past 59 if need be), `H:MM:SS` with `hours`, `.sss` added with `millis`."""
    seconds, rest_ms = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    text = f"{minutes:02d}:{seconds:02d}"
    if hours:
        text = f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    return f"{text}.{rest_ms:03d}" if millis else text


def read_timecode(value: str) -> int | None:
    """Milliseconds of a timecode as `timecode` writes it (`MM:SS`, `H:MM:SS`, `.sss`)."""
    match = _TIMECODE.fullmatch(value.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) > 59:
        return None
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(fraction or 0)


def cell(value: str | None) -> str:
    """A value on one line, no tabs, `?` when unknown or empty; `<` and `&` written as entities
    when the text holds markup-like text, and quotes doubled when it is wholly quoted."""
    if value is None:
        return UNKNOWN
    text = " ".join(value.replace("\t", " ").replace("\r", " ").split("\n")).strip()
    if _MARKUP.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;")
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = '"' + text.replace('"', '""') + '"'
    return text or UNKNOWN


def read_cell(value: str) -> str:
    """A written text cell back to its text: quotes and entities undone."""
    text = value.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    return html.unescape(text) if "&" in text else text
