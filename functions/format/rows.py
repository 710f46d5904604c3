"""One table row's cells → a validated `Segment`, `Speaker` or `Event`, every repair recorded
as an issue.

The parser (`parser.py`) finds lines, tags, headers and cells; this module gives the cells meaning:
fields fitted to the columns, cleaned (quotes, entities, length), timecodes and voice IDs read,
and the checks that span rows (time order, the voice cap, one row per speaker).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from functions.format.models import (
    EVENT_KINDS,
    MAX_FIELD_CHARS,
    MAX_TEXT_CHARS,
    MAX_VOICE_ID,
    Event,
    Issue,
    Segment,
    Speaker,
)
from functions.format.tables import (
    ABSORBING_COLUMN,
    COLUMNS,
    Table,
    event_kind,
    is_unknown,
    parse_timecode,
    parse_voice,
    unescape_entities,
    unquote,
)

Row = Segment | Speaker | Event
Columns = tuple[str | None, ...]
_CANONICAL_TRANSCRIPT = COLUMNS[Table.TRANSCRIPT]  # start, voice, text


class IssueLog:
    """The issues of one output, each tagged with the line being read (None: end of output)."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.line: int | None = 0

    def add(self, code: str, message: str) -> int:
        """Record an issue; return its index (`reword` may refine its message later)."""
        self.issues.append(Issue(code=code, message=message, line=self.line))
        return len(self.issues) - 1

    def reword(self, index: int, message: str) -> None:
        self.issues[index] = self.issues[index].model_copy(update={"message": message})


def clean_field(log: IssueLog, value: str, limit: int) -> str:
    """A cell's value: stripped, its quotes and HTML entities removed, cut to `limit`
    characters, each repair recorded in `log`."""
    value = value.strip()
    if len(value) <= limit and '"' not in value and "&" not in value:
        return value  # the common case, kept fast
    value, quoted = unquote(value)
    if quoted:
        log.add("quoted_field", "surrounding quotes removed")
    value, escaped = unescape_entities(value)
    if escaped:
        log.add("html_entity", "HTML entities decoded")
    value = value.strip()
    if len(value) > limit:
        log.add("field_too_long", f"field cut to {limit} characters")
        value = value[:limit]
    return value


class RowBuilder:
    """The rows of one output, in stream order; `row(...)` builds the next one or drops it."""

    def __init__(self, log: IssueLog, duration_ms: int | None, last_start_ms: int = -1) -> None:
        self.log = log
        self.duration_ms = duration_ms
        self.last_start_ms = last_start_ms
        self.segments: list[Segment] = []
        self.speakers: dict[int, Speaker] = {}
        self.events: list[Event] = []
        self.listed_before: set[int] = set()  # listed in the output before a resumed parser's part
        self._over_cap = 0  # rows whose voice ID is above MAX_VOICE_ID: one issue counts them
        self._over_cap_first = self._over_cap_issue = -1  # the first such voice, its issue's index

    def row(
        self, table: Table, columns: Columns, cells: list[str], header_like: bool
    ) -> Row | None:
        """The row these cells make, or None (dropped, with an issue)."""
        try:
            if len(cells) == 3 and columns == _CANONICAL_TRANSCRIPT and not header_like:
                return self._segment(*cells)  # the common row, straight to its fields
            values = self._fit(table, columns, cells)
            if table is Table.TRANSCRIPT:
                text = values.get("text", "")
                return self._segment(values.get("start", ""), values.get("voice", ""), text)
            if table is Table.EVENTS:
                return self._event(values)
            return self._speaker(values)
        except ValidationError as exc:
            self.log.add("invalid_row", f"row dropped: {exc.errors()[0]['msg']}")
            return None

    def _fit(self, table: Table, columns: Columns, cells: Sequence[str]) -> dict[str, str]:
        """Map cells to columns; surplus cells (stray tabs) go back into the absorbing column."""
        surplus = len(cells) - len(columns)
        if surplus > 0:
            absorbing = ABSORBING_COLUMN[table]
            if absorbing in columns:
                at = columns.index(absorbing)
                joined = " ".join(c for c in cells[at : at + surplus + 1] if c)
                cells = [*cells[:at], joined, *cells[at + surplus + 1 :]]
            else:
                cells = cells[: len(columns)]
            self.log.add("extra_fields", f"{surplus} surplus field(s) merged into {absorbing!r}")
        elif surplus < 0:
            self.log.add("missing_fields", f"{-surplus} field(s) missing")
        values = dict(zip(columns, cells, strict=False))
        if None not in values:
            return values  # type: ignore[return-value]  # no None key
        del values[None]  # an unknown header column: ignored (reported with the header)
        return values  # type: ignore[return-value]  # no None key left

    def _clean(self, value: str, limit: int) -> str:
        return clean_field(self.log, value, limit)

    def _bare(self, value: str) -> str:
        """A field to interpret (timecode, voice ID), its quotes and entities removed first."""
        return self._clean(value, MAX_TEXT_CHARS) if '"' in value or "&" in value else value

    def _segment(self, start_raw: str, voice_raw: str, text_raw: str) -> Segment | None:
        text = self._clean(text_raw, MAX_TEXT_CHARS)
        start_raw, voice_raw = self._bare(start_raw), self._bare(voice_raw)
        voice = parse_voice(voice_raw)
        if not text and voice is None and voice_raw and not is_unknown(voice_raw):
            text, voice_raw = self._clean(voice_raw, MAX_TEXT_CHARS), ""  # `start, text` only
            self.log.add("missing_voice", "row has no voice column; text taken from it")
        start = parse_timecode(start_raw)
        if start is None:
            self.log.add("bad_timecode", f"row dropped: {start_raw[:40]!r} is not a timecode")
            return None
        if not text:
            self.log.add("empty_text", "row dropped: no text")
            return None
        if voice is None:
            if voice_raw and not is_unknown(voice_raw):
                self.log.add("bad_voice", f"{voice_raw[:40]!r} is not a voice id; voice unknown")
        elif voice > MAX_VOICE_ID:
            self._cap_voice(voice)
            voice = None
        past_end = self.duration_ms is not None and start > self.duration_ms
        if start < self.last_start_ms or past_end:
            self._check_time(start)
        self.last_start_ms = start
        segment = Segment(start_ms=start, voice=voice, text=text)
        self.segments.append(segment)
        return segment

    def _cap_voice(self, voice: int) -> None:
        """One issue, at the first row over the voice cap, counting every such row."""
        if not self._over_cap:
            self._over_cap_first, self._over_cap_issue = voice, self.log.add("too_many_voices", "")
        self._over_cap += 1
        self.log.reword(
            self._over_cap_issue,
            f"{self._over_cap} row(s) with a voice ID above {MAX_VOICE_ID}, the cap on distinct "
            f"voices (first: voice {self._over_cap_first}); voice unknown",
        )

    def _check_time(self, start: int) -> None:
        if start < self.last_start_ms:
            self.log.add(
                "timecode_backwards", f"starts at {start} ms, before {self.last_start_ms} ms"
            )
        if self.duration_ms is not None and start > self.duration_ms:
            self.log.add("past_media_end", f"starts at {start} ms, after the media's end")

    def _speaker(self, values: dict[str, str]) -> Speaker | None:
        voice_raw = self._bare(values.get("voice", ""))
        voice = parse_voice(voice_raw)
        if voice is None:
            self.log.add("bad_voice", f"speaker row dropped: {voice_raw[:40]!r} is not a voice id")
            return None
        if voice in self.speakers or voice in self.listed_before:
            self.log.add("duplicate_speaker", f"voice {voice} listed again; first row kept")
            return None
        cleaned = {n: self._clean(v, MAX_FIELD_CHARS) for n, v in values.items() if n != "voice"}
        fields = {name: None if is_unknown(v) else v or None for name, v in cleaned.items()}
        evidence = fields.get("evidence")
        evidence_ms = parse_timecode(evidence) if evidence else None
        speaker = Speaker(voice=voice, evidence_ms=evidence_ms, **fields)
        self.speakers[voice] = speaker
        return speaker

    def _event(self, values: dict[str, str]) -> Event | None:
        start_raw = self._bare(values.get("start", ""))
        start = parse_timecode(start_raw)
        if start is None:
            self.log.add("bad_timecode", f"row dropped: {start_raw[:40]!r} is not a timecode")
            return None
        kind_raw = self._clean(values.get("kind", ""), MAX_FIELD_CHARS)
        kind = event_kind(kind_raw)
        if kind is None:
            self.log.add(
                "unknown_event_kind",
                f"event row dropped: {kind_raw[:40]!r} is not one of {', '.join(EVENT_KINDS)}",
            )
            return None
        end_raw = self._bare(values.get("end", ""))
        end = None if is_unknown(end_raw) else parse_timecode(end_raw)
        if end is not None and self.duration_ms is not None:
            end = min(end, self.duration_ms)
        if end is None or end <= start:
            self.log.add("event_without_end", f"{kind} at {start} ms: no end after its start")
            end = None
        if self.duration_ms is not None and start > self.duration_ms:
            self.log.add("past_media_end", f"event starts at {start} ms, after the media's end")
        event = Event(start_ms=start, end_ms=end, kind=kind)
        self.events.append(event)
        return event
