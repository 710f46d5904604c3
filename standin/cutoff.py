"""Cut-off answers a fault can make of the answer's text (docs/standin.md, "Faults"): a repetition
loop on one transcript row, start timecodes past the media's end, a MAX_TOKENS finish right after
a row. Pure functions; a transcript row is a line of the transcript table whose start cell is a
timecode (`RowLine`), counted from 1 in the answer served (for a clip, the clip's rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from standin.writer import TRANSCRIPT, timecode

PAST_END_STEP_MS = 30_000  # the rows past the end start at end + 30 s, + 60 s, …

_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z_]+)\s*>")  # a line that is a table's tag
_START = re.compile(r"\[?(?:\d{1,3}:)?\d{1,3}:\d{2}(?:[.,]\d{1,3})?\]?")  # a start cell


@dataclass(frozen=True)
class RowLine:
    """Where a transcript row's line lies in the text, and how its cells are laid out."""

    start: int  # offset of the line's first character
    end: int  # offset just past its last character (its newline excluded)
    delimiter: str
    start_cell: int  # index of the `start` cell among the line's cells split at the delimiter


@dataclass(frozen=True)
class _Layout:
    delimiter: str
    start_cell: int


def transcript_rows(text: str, limit: int | None = None) -> list[RowLine]:
    """The transcript rows' lines of `text`, in order (only the first `limit` when given): in a
    block opened by a `<TRANSCRIPT>` line (any case), the lines whose start cell is a timecode;
    the block's header, if any, gives the delimiter (tab, `|` or `,`) and the start column."""
    found: list[RowLine] = []
    layout: _Layout | None = None
    in_transcript = False
    position = 0
    while position < len(text) and (limit is None or len(found) < limit):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        line = text[position:end]
        tag = _TAG.fullmatch(line.strip())
        if tag:
            in_transcript = not tag.group(1) and tag.group(2).upper().startswith(TRANSCRIPT)
            layout = None
        elif in_transcript:
            layout = layout or _header(line)
            if _is_row(line, layout):
                found.append(RowLine(position, end, layout.delimiter, layout.start_cell))
        position = end + 1
    return found


def _header(line: str) -> _Layout:
    """The layout a block's first line gives: its delimiter and `start` column (a row instead of
    a header: tab-separated, start first)."""
    delimiter = next((d for d in ("\t", "|", ",") if d in line), "\t")
    cells = [cell.strip().lower() for cell in line.split(delimiter)]
    return _Layout(delimiter, cells.index("start") if "start" in cells else 0)


def _is_row(line: str, layout: _Layout) -> bool:
    cells = line.split(layout.delimiter)
    start = cells[layout.start_cell].strip() if layout.start_cell < len(cells) else ""
    return _START.fullmatch(start) is not None


def loop_text(
    text: str, from_row: int, limit_chars: int, repeats: int | None = None, cycle: int = 1
) -> tuple[str, int | None]:
    """(text, row that loops): the text up to the end of row `from_row`'s line (the last row's
    when there are fewer), then that line again (with `cycle`, the lines of the `cycle` rows
    ending there, in turn), identical, until the text is longer than `limit_chars` (the output
    limit cuts it there); with `repeats`, that many times and then the rest of the text. Without
    transcript rows: the text unchanged, None."""
    rows = transcript_rows(text, limit=from_row)
    if not rows:
        return text, None
    row = rows[-1]
    line = "".join(text[r.start : r.end] + "\n" for r in rows[-cycle:])
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
    cells = line.split(row.delimiter)
    old = cells[row.start_cell].strip()
    cells[row.start_cell] = cells[row.start_cell].replace(
        old, timecode(start_ms, old.count(":") == 2), 1
    )
    return row.delimiter.join(cells)
