"""Cut-off answers a fault can make of the answer's text (docs/standin.md, "Faults"): a repetition
loop on one transcript row, start timecodes past the media's end, a MAX_TOKENS finish right after
a row. Pure functions; a transcript row is a line the product's parser reads as one, counted from
1 in the answer served (for a clip, the clip's rows)."""

from __future__ import annotations

from dataclasses import dataclass

from functions.format.models import Segment
from functions.format.parser import StreamParser
from functions.format.tables import format_timecode

PAST_END_STEP_MS = 30_000  # the rows past the end start at end + 30 s, + 60 s, …


@dataclass(frozen=True)
class RowLine:
    """Where a transcript row's line lies in the text, and how its cells are laid out."""

    start: int  # offset of the line's first character
    end: int  # offset just past its last character (its newline excluded)
    delimiter: str
    start_cell: int | None  # index of the `start` column among the cells (None: no such column)


def transcript_rows(text: str, limit: int | None = None) -> list[RowLine]:
    """The transcript rows' lines of `text`, in order (only the first `limit` when given)."""
    parser = StreamParser()
    found: list[RowLine] = []
    position = 0
    while position < len(text) and (limit is None or len(found) < limit):
        newline = text.find("\n", position)
        end = len(text) if newline < 0 else newline
        rows = parser.feed(text[position : end + 1], final=newline < 0)
        if any(isinstance(row, Segment) for row in rows):
            state = parser.state()
            columns = state.columns or ()
            start_cell = columns.index("start") if "start" in columns else None
            found.append(RowLine(position, end, state.delimiter, start_cell))
        position = end + 1
    return found


def loop_text(
    text: str, from_row: int, limit_chars: int, repeats: int | None = None
) -> tuple[str, int | None]:
    """(text, row that loops): the text up to the end of row `from_row`'s line (the last row's
    when there are fewer), then that line again, identical, until the text is longer than
    `limit_chars` (the output limit cuts it there); with `repeats`, that many times and then the
    rest of the text. Without transcript rows: the text unchanged, None."""
    rows = transcript_rows(text, limit=from_row)
    if not rows:
        return text, None
    row = rows[-1]
    line = text[row.start : row.end] + "\n"
    head = text[: row.end] + "\n"
    if repeats is not None:
        return head + line * repeats + text[row.end + 1 :], len(rows)
    times = max(0, limit_chars - len(head)) // len(line) + 1
    return head + line * times, len(rows)


def row_end(text: str, row: int) -> tuple[int, int] | None:
    """(characters up to the end of row `row`'s line and its newline, that row): the last row's
    when there are fewer; None without transcript rows."""
    rows = transcript_rows(text, limit=row)
    if not rows:
        return None
    return min(rows[-1].end + 1, len(text)), len(rows)


def past_end_text(text: str, count: int, end_ms: int) -> tuple[str, list[int]]:
    """(text, rows changed): the last `count` transcript rows (all when there are fewer) start at
    `end_ms` + 30 s, + 60 s, … in order, written as the row wrote its timecode (`H:MM:SS` if it
    had hours, else `MM:SS`, minutes past 59 if need be); the rest of each line is unchanged."""
    rows = transcript_rows(text)
    first = max(0, len(rows) - count)
    pieces: list[str] = []
    position = 0
    for step, row in enumerate(rows[first:], start=1):
        line = text[row.start : row.end]
        pieces += [
            text[position : row.start],
            _with_start(line, row, end_ms + step * PAST_END_STEP_MS),
        ]
        position = row.end
    pieces.append(text[position:])
    return "".join(pieces), list(range(first + 1, len(rows) + 1))


def _with_start(line: str, row: RowLine, start_ms: int) -> str:
    """The row's line with its start cell set to `start_ms`, in the cell's own convention."""
    index = row.start_cell or 0
    cells = line.split(row.delimiter)
    if row.delimiter != "\t" and line.strip().startswith(row.delimiter):
        index += 1  # `| 00:01 | 1 | Hi |`: an empty cell before the first
    old = cells[index].strip()
    new = format_timecode(start_ms, with_hours=old.count(":") == 2)
    cells[index] = cells[index].replace(old, new, 1) if old else new
    return row.delimiter.join(cells)
