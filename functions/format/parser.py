"""Lenient, incremental parser of the compact output (docs/format.md); strict, validated output.

Feed it the model's text in any chunks: `feed` returns each row as soon as its line is complete, and
`close` returns the whole result. The result is the same for every way of splitting the text. Every
repair and every dropped row is recorded as an `Issue` with a stable code.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from functions.format.models import Event, Issue, ParseResult, Segment, Speaker
from functions.format.rows import Columns, IssueLog, Row, RowBuilder
from functions.format.tables import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    Table,
    column_of,
    find_tags,
    parse_voice,
)


class ParserState(BaseModel):
    """Where a parser stands between two lines: enough to parse the rest of the output elsewhere
    (the store parses each published chunk from the state the transcriber recorded before it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: Table | None = None
    columns: tuple[str | None, ...] | None = None
    delimiter: str = Field(default="\t", pattern=r"^[\t|, ]$")
    seen: tuple[Table, ...] = ()
    line: int = Field(default=0, ge=0, description="lines of the output before this point")
    last_start_ms: int = Field(default=-1, ge=-1)
    listed: tuple[int, ...] = Field(default=(), description="voices the speaker table listed")


MAX_LINE_CHARS = 20_000
PIPE_RULE = re.compile(r"^[\s|:\-]+$")
_ARTICLE_TRANSCRIPT = ("start", "text", "voice")  # seed 001's column order


class StreamParser:
    """One model response. `feed(chunk)` → completed rows; `close()` → the `ParseResult`."""

    def __init__(self, duration_ms: int | None = None, state: ParserState | None = None) -> None:
        """`state`: resume where another parser stood (`state()`); a resumed parser sees only part
        of the output, so it leaves the cross-table checks (`check_voices`) to its caller."""
        self._log = IssueLog()
        self._rows = RowBuilder(self._log, duration_ms)
        self._buffer = ""
        self._line_no = 0
        self._table: Table | None = None
        self._columns: Columns | None = None
        self._delimiter = "\t"
        self._seen: set[Table] = set()
        self._closed = False
        self._whole = state is None
        if state is not None:
            self._table, self._columns, self._delimiter = (
                state.table,
                state.columns,
                state.delimiter,
            )
            self._seen, self._line_no = set(state.seen), state.line
            self._rows.last_start_ms = state.last_start_ms
            self._rows.listed_before = set(state.listed)

    @property
    def segments(self) -> list[Segment]:
        return self._rows.segments

    @property
    def speakers(self) -> dict[int, Speaker]:
        return self._rows.speakers

    @property
    def events(self) -> list[Event] | None:
        """The sound events; None while no events table was seen (none was asked for)."""
        return self._rows.events if Table.EVENTS in self._seen else None

    @property
    def issues(self) -> list[Issue]:
        return self._log.issues

    def state(self) -> ParserState:
        """The state between two lines (raises inside a line: feed whole lines to use it)."""
        if self._buffer:
            raise ValueError("state() inside a line: feed complete lines first")
        return ParserState(
            table=self._table,
            columns=self._columns,
            delimiter=self._delimiter,
            seen=tuple(sorted(self._seen)),
            line=self._line_no,
            last_start_ms=self._rows.last_start_ms,
            listed=tuple(sorted({*self._rows.listed_before, *self._rows.speakers})),
        )

    # -- input -------------------------------------------------------------------------------

    def feed(self, chunk: str, final: bool = False) -> list[Row]:
        """Add text; return the rows whose lines it completed. `final`: this is the end of the
        output, so the last line is settled too (and nothing more may be fed)."""
        if self._closed:
            raise RuntimeError("feed() after the final chunk")
        self._buffer += chunk
        rows: list[Row] = []
        if "\n" in chunk:
            *lines, self._buffer = self._buffer.split("\n")
            for line in lines:
                self._line(line, rows, last=False)
        if final:
            if self._buffer:
                self._line(self._buffer, rows, last=True)
                self._buffer = ""
            self._closed = True
            self._log.line = None  # end-of-output issues have no line
            self._finish()
        return rows

    def close(self) -> ParseResult:
        """End of the output: settle the last line, cross-check the tables, return the result."""
        if not self._closed:
            self.feed("", final=True)
        return self.result()

    def result(self) -> ParseResult:
        return ParseResult(
            segments=assign_end_times(self.segments, self._rows.duration_ms),
            speakers=sorted(self.speakers.values(), key=lambda s: s.voice),
            complete=self.complete,
            issues=self.issues,
            events=self.events,
        )

    @property
    def complete(self) -> bool:
        """True once the transcript and speaker tables were seen and none was left open (the
        output was not cut off). The events table, when asked, comes after them: a cut inside
        it leaves it open."""
        return self._table is None and {Table.TRANSCRIPT, Table.SPEAKERS} <= self._seen

    # -- lines and tags ----------------------------------------------------------------------

    def _issue(self, code: str, message: str) -> None:
        self._log.add(code, message)

    def _line(self, line: str, rows: list[Row], last: bool) -> None:
        self._line_no += 1
        self._log.line = self._line_no
        if line.endswith("\r"):
            line = line[:-1]
        if len(line) > MAX_LINE_CHARS:
            self._issue("line_too_long", f"line cut to {MAX_LINE_CHARS} characters")
            line = line[:MAX_LINE_CHARS]
        try:
            if "<" not in line:  # no tag: the common case
                self._content(line, rows, cut=last)
            else:
                self._tagged_line(line, rows, last)
        except Exception as exc:  # a backstop: no model output may stop the parse
            message = f"line skipped: unexpected {type(exc).__name__}: {exc}"
            self._issue("invalid_row", message[:300])

    def _tagged_line(self, line: str, rows: list[Row], last: bool) -> None:
        """A line with table tags. Outside a table every tag counts (prose may precede it); inside
        one, only tags that begin or end the line do: elsewhere they are a row's text."""
        tags = find_tags(line)
        tail_clean = True  # only blanks and tags after tags[i]: it ends the line
        ends_line = [False] * len(tags)
        following = len(line)
        for i in range(len(tags) - 1, -1, -1):
            tail_clean = tail_clean and _blank(line, tags[i][1], following)
            ends_line[i], following = tail_clean, tags[i][0]
        position = 0
        for (start, end, table, closing), at_end in zip(tags, ends_line, strict=True):
            if self._table is not None and not at_end and not _blank(line, position, start):
                continue  # inside a row: text
            self._content(line[position:start], rows, cut=False)
            self._tag(table, closing)
            position = end
        self._content(line[position:], rows, cut=last)

    def _tag(self, table: Table, closing: bool) -> None:
        if not closing:
            if self._table is not None:
                self._issue("missing_closing_tag", f"<{self._table.value}> was not closed")
            if table in self._seen:
                self._issue("repeated_table", f"a second <{table.value}> block; rows appended")
            self._open(table)
        elif self._table is table:
            self._table = None
        elif self._table is None:
            self._issue("stray_closing_tag", f"</{table.value}> without an open table; ignored")
        else:
            self._issue("mismatched_tag", f"</{table.value}> closes <{self._table.value}>")
            self._table = None

    def _open(self, table: Table) -> None:
        self._table, self._columns, self._delimiter = table, None, "\t"
        self._seen.add(table)

    def _content(self, text: str, rows: list[Row], cut: bool) -> None:
        """Text between tags: a header, a row, or noise."""
        if not text or text.isspace():
            return
        if self._table is None:
            self._outside(text)
            return
        if cut:
            self._issue("truncated_row", "the output ends inside this row; row dropped")
            return
        line = text.strip()
        if line.startswith("```"):
            self._issue("noise", "markdown fence inside a table; ignored")
            return
        if self._columns is None and self._header(line):
            return
        row = self._row(line)
        if row is not None:
            rows.append(row)

    def _outside(self, text: str) -> None:
        """Prose is ignored, but a header line opens its table when the opening tag is missing."""
        line = text.strip()
        for table in Table:
            if table not in self._seen and self._header_columns(table, line) is not None:
                self._issue("missing_opening_tag", f"<{table.value}> header found without its tag")
                self._open(table)
                self._header(line)
                return

    # -- headers -----------------------------------------------------------------------------

    def _header(self, line: str) -> bool:
        """Take `line` as the table's header if it is one; else assume the canonical columns."""
        assert self._table is not None
        columns = self._header_columns(self._table, line)
        if columns is not None:
            self._delimiter = delimiter_of(line)
            self._columns = columns
            unknown = [c for c, name in zip(self._split(line), columns, strict=False) if not name]
            if unknown:
                self._issue("unknown_column", f"ignored header column(s): {', '.join(unknown)}")
            if self._delimiter != "\t":
                self._issue("delimiter", f"columns separated by {self._delimiter!r}, not tabs")
            missing = set(COLUMNS[self._table]) - set(columns) - OPTIONAL_COLUMNS
            if missing:
                self._issue("missing_column", f"header lacks: {', '.join(sorted(missing))}")
            return True
        self._issue("missing_header", f"<{self._table.value}> has no header row; columns assumed")
        self._delimiter = delimiter_of(line)
        self._columns = self._assumed_columns(line)
        return False

    def _header_columns(self, table: Table, line: str) -> Columns | None:
        cells = split_cells(line, delimiter_of(line))
        columns = tuple(column_of(table, cell) for cell in cells)
        named = [c for c in columns if c]
        unique = len(named) >= 2 and len(set(named)) == len(named)
        if unique and all(required in named for required in REQUIRED_COLUMNS[table]):
            return columns
        return None

    def _assumed_columns(self, first_row: str) -> Columns:
        """No header: the canonical order, or seed 001's `start, text, voice` if the row fits it."""
        assert self._table is not None
        cells = self._split(first_row)
        if (
            self._table is Table.TRANSCRIPT
            and len(cells) >= 3
            and parse_voice(cells[1]) is None
            and parse_voice(cells[-1]) is not None
        ):
            return _ARTICLE_TRANSCRIPT
        return COLUMNS[self._table]

    # -- rows --------------------------------------------------------------------------------

    def _split(self, line: str) -> list[str]:
        return split_cells(line, self._delimiter)

    def _row(self, line: str) -> Row | None:
        assert self._table is not None and self._columns is not None
        if self._delimiter == "|" and PIPE_RULE.match(line):
            return None
        cells = line.split("\t") if self._delimiter == "\t" else self._split(line)
        header_like = not cells[0][:1].isdigit()  # data rows start with a timecode or voice id
        if header_like and any(column_of(t, cells[0]) for t in Table) and self._header_row(line):
            return None
        return self._rows.row(self._table, self._columns, cells, header_like)

    def _header_row(self, line: str) -> bool:
        """A header inside a table: its own repeated, or the next table's with no tags between."""
        assert self._table is not None
        for table in Table:
            if self._header_columns(table, line) is None:
                continue
            if table is self._table:
                self._issue("duplicate_header", "header row repeated; ignored")
            else:
                self._issue("missing_closing_tag", f"<{self._table.value}> was not closed")
                self._issue("missing_opening_tag", f"<{table.value}> header found without its tag")
                self._open(table)
                self._header(line)
            return True
        return False

    # -- end of output -----------------------------------------------------------------------

    def _finish(self) -> None:
        if not self._seen:
            self._issue("no_tables", "no <TRANSCRIPT> or <SPEAKERS> table in the output")
        elif self._table is not None:
            self._issue("cut_off", f"the output ends inside <{self._table.value}>")
        elif Table.SPEAKERS not in self._seen:
            self._issue("cut_off", "the output has no <SPEAKERS> table")
        if self._whole:
            placeholders, issues = check_voices(self.segments, self.speakers.values())
            self.speakers.update((p.voice, p) for p in placeholders)
            self.issues.extend(issues)


def check_voices(
    segments: Iterable[Segment], speakers: Iterable[Speaker]
) -> tuple[list[Speaker], list[Issue]]:
    """Cross-check the two tables: a placeholder speaker for each voice that speaks but is not
    listed, and an issue for it and for each listed speaker who never speaks."""
    speaking = {s.voice for s in segments if s.voice is not None}
    listed = {s.voice for s in speakers}
    missing, silent = sorted(speaking - listed), sorted(listed - speaking)
    issues = [
        Issue(code="unknown_voice", message=f"voice {v} speaks but is not in the speaker table")
        for v in missing
    ] + [
        Issue(code="silent_speaker", message=f"voice {v} is listed but never speaks")
        for v in silent
    ]
    return [Speaker(voice=v, placeholder=True) for v in missing], issues


def _blank(line: str, start: int, end: int) -> bool:
    """Nothing but whitespace in `line[start:end]`."""
    return start >= end or line[start:end].isspace()


def delimiter_of(line: str) -> str:
    if "\t" in line:
        return "\t"
    if line.count("|") >= 2:
        return "|"
    return "," if "," in line else " "


def split_cells(line: str, delimiter: str) -> list[str]:
    line = line.strip(" \t")
    if delimiter == "\t":
        return line.split("\t")
    if delimiter == "|":
        return [cell.strip() for cell in line.strip("|").split("|")]
    if delimiter == ",":
        try:
            return next(csv.reader([line], skipinitialspace=True), [""])
        except csv.Error:  # a carriage return inside the line
            return [cell.strip() for cell in line.split(",")]
    return line.split()


def assign_end_times(segments: list[Segment], duration_ms: int | None) -> list[Segment]:
    """Set each segment's end (`end_times`)."""
    ends = end_times([s.start_ms for s in segments], duration_ms)
    for segment, end in zip(segments, ends, strict=True):
        segment.end_ms = end
    return segments


def end_times(starts: list[int], duration_ms: int | None) -> list[int | None]:
    """Each segment's end: the next one's start, or the media's end for the last, never past
    the media's end; None when that end is not after the segment's start (or is unknown)."""
    ends: list[int | None] = []
    for start, end in zip(starts, [*starts[1:], duration_ms], strict=False):  # none: no end
        if end is not None and duration_ms is not None:
            end = min(end, duration_ms)
        ends.append(end if end is not None and end > start else None)
    return ends


def parse_text(text: str, duration_ms: int | None = None) -> ParseResult:
    """Parse a whole response at once (the same result as feeding it in chunks)."""
    parser = StreamParser(duration_ms)
    parser.feed(text)
    return parser.close()
