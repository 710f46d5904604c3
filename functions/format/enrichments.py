"""Lenient parsers of the enrichments' answers (decision 0026, docs/format.md "Enrichments"): the
`<TRANSLATION>` table (index → text), the `<CHAPTERS>` table (start → title) and the `<SUMMARY>`
block. Whole answers, parsed at once; no input raises. The lines, cells, timecodes and field
cleaning are the transcript parser's (`parser`, `rows`, `tables`); every repair and every dropped
row is an `Issue` with a stable code.

A translation is keyed by `index`, so nothing can drift: an index asked but not answered leaves
its segment untranslated (`missing_translation`), an index not asked or answered twice is dropped
(`extra_translation`); no row is ever shifted onto another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from functions.format.models import MAX_FIELD_CHARS, MAX_TEXT_CHARS, Issue
from functions.format.parser import MAX_LINE_CHARS, PIPE_RULE, delimiter_of, split_cells
from functions.format.rows import IssueLog, clean_field
from functions.format.tables import (
    START_NAMES,
    format_timecode,
    header_key,
    parse_timecode,
    tag_pattern,
)

MAX_CHAPTERS = 50
MAX_SUMMARY_WORDS = 120


class Block(StrEnum):
    TRANSLATION = "TRANSLATION"
    CHAPTERS = "CHAPTERS"
    SUMMARY = "SUMMARY"


# Canonical columns; the free text is last, so a stray delimiter inside it shifts nothing.
COLUMNS = {Block.TRANSLATION: ("index", "text"), Block.CHAPTERS: ("start", "title")}
_SYNONYMS = {
    Block.TRANSLATION: {
        **dict.fromkeys(("index", "idx", "i", "#", "n", "no", "row", "id", "segment"), "index"),
        **dict.fromkeys(
            ("text", "translation", "translated", "translated_text", "target", "content"), "text"
        ),
    },
    Block.CHAPTERS: {
        **dict.fromkeys(START_NAMES, "start"),
        **dict.fromkeys(("title", "chapter", "chapter_title", "heading", "topic", "name"), "title"),
    },
}
_TAG = tag_pattern(r"TRANSLATIONS?|TRANSLATED(?:_TRANSCRIPT)?|CHAPTERS?|SUMMARY|SUMMARIES")
_INDEX = re.compile(r"^[#\[(]?\s*(\d{1,6})\s*[\]).:]?$")
Rows = list[tuple[int, dict[str, str]]]  # (line, column → cell)


def _block_of(name: str) -> Block:
    first = name[:2].upper()
    if first == "CH":
        return Block.CHAPTERS
    return Block.SUMMARY if first == "SU" else Block.TRANSLATION


# -- the answer's blocks -----------------------------------------------------------------------


class _Reader:
    """The lines of each block of one answer (prose outside the blocks is ignored)."""

    def __init__(self, log: IssueLog) -> None:
        self.log = log
        self.lines: dict[Block, list[tuple[int, str]]] = {}
        self.open: Block | None = None

    def read(self, text: str) -> dict[Block, list[tuple[int, str]]]:
        for number, line in enumerate(text.split("\n"), start=1):
            self.log.line = number
            self._line(line.removesuffix("\r"))
        self.log.line = None
        if self.open is not None:
            self.log.add("cut_off", f"the answer ends inside <{self.open.value}>")
        return self.lines

    def _line(self, line: str) -> None:
        if len(line) > MAX_LINE_CHARS:
            self.log.add("line_too_long", f"line cut to {MAX_LINE_CHARS} characters")
            line = line[:MAX_LINE_CHARS]
        position = 0
        for match in _TAG.finditer(line) if "<" in line else ():
            self._content(line[position : match.start()])
            self._tag(_block_of(match.group(2)), closing=match.group(1) == "/")
            position = match.end()
        self._content(line[position:])

    def _tag(self, block: Block, closing: bool) -> None:
        if closing:
            if self.open is None:
                self.log.add("stray_closing_tag", f"</{block.value}> without an open block")
            elif self.open is not block:
                self.log.add("mismatched_tag", f"</{block.value}> closes <{self.open.value}>")
            self.open = None
            return
        if self.open is not None:
            self.log.add("missing_closing_tag", f"<{self.open.value}> was not closed")
        if block in self.lines:
            self.log.add("repeated_table", f"a second <{block.value}> block; rows appended")
        self.open = block
        self.lines.setdefault(block, [])

    def _content(self, text: str) -> None:
        line = text.strip()
        if not line:
            return
        if line.startswith("```"):
            if self.open is not None:
                self.log.add("noise", "markdown fence inside a block; ignored")
            return
        if self.open is None:
            self._outside(line)
        else:
            self.lines[self.open].append((self.log.line or 0, line))

    def _outside(self, line: str) -> None:
        """Prose is ignored, but a table's header opens that table when its tag is missing."""
        for block in COLUMNS:
            if block not in self.lines and _header(block, line) is not None:
                self.log.add("missing_opening_tag", f"<{block.value}> header found without its tag")
                self.open = block
                self.lines[block] = [(self.log.line or 0, line)]
                return


def _header(block: Block, line: str) -> tuple[str | None, ...] | None:
    """The columns `line` names, when it is a header of `block`'s table: each of the table's
    columns once, nothing else (the request's own `index, start, voice, text` header, echoed, is
    not a translation's)."""
    cells = split_cells(line, delimiter_of(line))
    names = tuple(_SYNONYMS[block].get(header_key(cell)) for cell in cells)
    return names if sorted(n or "" for n in names) == sorted(COLUMNS[block]) else None


def _rows(block: Block, lines: list[tuple[int, str]], log: IssueLog) -> Rows:
    """The table's data rows, each cell under its column; the header, when there is one, says
    the columns and the delimiter, else the canonical order is assumed."""
    columns: tuple[str | None, ...] = COLUMNS[block]
    delimiter, headed = "\t", False
    rows: Rows = []
    for number, line in lines:
        log.line = number
        header = _header(block, line)
        if header is not None:
            if headed:
                log.add("duplicate_header", "header row repeated; ignored")
            columns, delimiter, headed = header, delimiter_of(line), True
            continue
        if not rows and not headed:
            log.add("missing_header", f"<{block.value}> has no header row; columns assumed")
            delimiter, headed = delimiter_of(line), True
        if delimiter == "|" and PIPE_RULE.match(line):
            continue
        rows.append((number, _fit(split_cells(line, delimiter), columns, log)))
    log.line = None
    return rows


def _fit(cells: list[str], columns: tuple[str | None, ...], log: IssueLog) -> dict[str, str]:
    """Cells under their columns; surplus cells (a delimiter inside the text) join the last."""
    if len(cells) > len(columns):
        cells = [*cells[: len(columns) - 1], " ".join(cells[len(columns) - 1 :])]
    return {name: cell for name, cell in zip(columns, cells, strict=False) if name}


def _in_line_order(issues: list[Issue]) -> list[Issue]:
    """The blocks are read before their rows: the issues in the answer's order, the end's last."""
    return sorted(issues, key=lambda issue: (issue.line is None, issue.line or 0))


# -- translations -------------------------------------------------------------------------------


@dataclass
class Translation:
    """One translation answer aligned to the indexes asked: `texts[index]`, absent when missing."""

    texts: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    extra: int = 0
    issues: list[Issue] = field(default_factory=list)


def parse_translation(text: str, asked: Iterable[int]) -> Translation:
    """The `<TRANSLATION>` table of an answer to a request for the rows `asked` (their indexes
    in the whole transcript)."""
    log, asked = IssueLog(), list(asked)
    blocks = _Reader(log).read(text)
    wanted, result = set(asked), Translation()
    if Block.TRANSLATION not in blocks:
        log.add("no_tables", "no <TRANSLATION> table in the answer")
    for number, cells in _rows(Block.TRANSLATION, blocks.get(Block.TRANSLATION, []), log):
        log.line = number
        raw = cells.get("index", "")
        match = _INDEX.match(raw.strip())
        if match is None:
            log.add("invalid_row", f"row dropped: {raw[:40]!r} is not an index")
            continue
        index, translated = (
            int(match.group(1)),
            clean_field(log, cells.get("text", ""), MAX_TEXT_CHARS),
        )
        if index not in wanted or index in result.texts:
            why = "given twice" if index in result.texts else "not asked"
            log.add("extra_translation", f"row {index} dropped: {why}")
            result.extra += 1
        elif not translated:
            log.add("empty_text", f"row {index} dropped: no text")
        else:
            result.texts[index] = translated
    log.line = None
    result.missing = [index for index in asked if index not in result.texts]
    for index in result.missing:
        log.add("missing_translation", f"row {index} is not translated; kept untranslated")
    result.issues = _in_line_order(log.issues)
    return result


# -- chapters and summary -----------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    title: str


@dataclass
class Chapters:
    chapters: list[Chapter] = field(default_factory=list)
    summary: str | None = None
    issues: list[Issue] = field(default_factory=list)


def parse_chapters(text: str, duration_ms: int | None) -> Chapters:
    """The `<CHAPTERS>` table (starts in time order within the media, at most MAX_CHAPTERS; any
    other row dropped with `chapter_dropped`) and the `<SUMMARY>` (at most MAX_SUMMARY_WORDS)."""
    log = IssueLog()
    blocks = _Reader(log).read(text)
    result = Chapters()
    if Block.CHAPTERS not in blocks:
        log.add("no_tables", "no <CHAPTERS> table in the answer")
    for number, cells in _rows(Block.CHAPTERS, blocks.get(Block.CHAPTERS, []), log):
        log.line = number
        chapter = _chapter(cells, log)
        if chapter is None:
            continue
        why = _out_of_place(chapter, result.chapters, duration_ms)
        if why:
            log.add("chapter_dropped", f"chapter at {format_timecode(chapter.start_ms)}: {why}")
        else:
            result.chapters.append(chapter)
    log.line = None
    result.summary = _summary(blocks.get(Block.SUMMARY), log)
    result.issues = _in_line_order(log.issues)
    return result


def _chapter(cells: dict[str, str], log: IssueLog) -> Chapter | None:
    raw = clean_field(log, cells.get("start", ""), MAX_FIELD_CHARS)
    start = parse_timecode(raw)
    title = clean_field(log, cells.get("title", ""), MAX_FIELD_CHARS)
    if start is None:
        log.add("chapter_dropped", f"{raw[:40]!r} is not a timecode")
    elif not title:
        log.add("chapter_dropped", f"chapter at {format_timecode(start)} has no title")
    else:
        return Chapter(start, title)
    return None


def _out_of_place(chapter: Chapter, kept: Sequence[Chapter], duration_ms: int | None) -> str:
    if duration_ms is not None and chapter.start_ms >= duration_ms:
        return "starts after the media's end"
    if kept and chapter.start_ms <= kept[-1].start_ms:
        return "not after the previous chapter's start"
    if len(kept) >= MAX_CHAPTERS:
        return f"more than {MAX_CHAPTERS} chapters"
    return ""


def _summary(lines: list[tuple[int, str]] | None, log: IssueLog) -> str | None:
    if not lines:
        log.add("no_summary", "no <SUMMARY> in the answer")
        return None
    log.line = lines[0][0]
    words = clean_field(log, " ".join(line for _, line in lines), 20 * MAX_TEXT_CHARS).split()
    if len(words) > MAX_SUMMARY_WORDS:
        log.add("summary_too_long", f"{len(words)} words; kept to {MAX_SUMMARY_WORDS}")
        words = words[:MAX_SUMMARY_WORDS]
    log.line = None
    return " ".join(words) or None
