"""What a model answers to an enrichment request (decision 0026): a text-only request carrying a
finished transcript as a `<TRANSCRIPT>` table (index, start, voice, text) and asking either for
its translation into the `<LANGUAGE>` named (a `<TRANSLATION>` table keyed by index) or for
`<CHAPTERS>` and a `<SUMMARY>`. The stand-in reads the table with its own code, finds the
registered recording whose authored rows those are (by their words, as the voices pass hears
snippets), and answers with the authored translation, chapters and summary
(docs/standin.md, "Enrichment requests")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from standin.authored import Authored, Row
from standin.registry import Entry
from standin.writer import ONE_HOUR_MS, TRANSCRIPT, cell, read_cell, read_timecode, timecode

# The tags of the requests and answers, as the product's prompt names them (a test checks).
LANGUAGE, TRANSLATION, CHAPTERS, SUMMARY = "LANGUAGE", "TRANSLATION", "CHAPTERS", "SUMMARY"
TRANSLATION_COLUMNS = ("index", "text")
CHAPTER_COLUMNS = ("start", "title")
TRANSLATION_FAULTS = ("missing_row", "extra_row")

_LANGUAGE = re.compile(rf"<{LANGUAGE}>\s*([A-Za-z]{{2,3}})\s*</{LANGUAGE}>")
_ROW = re.compile(r"(\d{1,6})\t([^\t]+)\t[^\t]*\t(.*)")  # index, start, voice, text
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class AskedRow:
    index: int  # the segment's place in the whole transcript, from 0
    start_ms: int
    text: str


@dataclass(frozen=True)
class Asked:
    """What an enrichment request asks: a translation into `lang`, or the chapters (`lang`
    None), of the transcript rows it carries."""

    lang: str | None
    rows: tuple[AskedRow, ...]

    @property
    def kind(self) -> str:
        return "chapters" if self.lang is None else "translation"

    def log(self) -> dict[str, object]:
        """What the call log records as `enrichment`."""
        return {"kind": self.kind, "lang": self.lang, "rows": len(self.rows)}


def asked(texts: Iterable[str]) -> Asked | None:
    """The enrichment a text-only request asks for: its last `<TRANSCRIPT>` block's rows, and
    the last `<LANGUAGE>` named, else the chapters when the text names `<CHAPTERS>`; None when
    it carries no transcript rows or asks for neither."""
    text = "\n".join(texts)
    rows = transcript_rows(text)
    languages = _LANGUAGE.findall(text)
    if not rows or not (languages or f"<{CHAPTERS}>" in text):
        return None
    return Asked(languages[-1].lower() if languages else None, tuple(rows))


def transcript_rows(text: str) -> list[AskedRow]:
    """The `index<TAB>start<TAB>voice<TAB>text` rows of the last `<TRANSCRIPT>` block (a line
    of its own); the header and other lines are skipped, a missing end tag tolerated."""
    lines = text.splitlines()
    opens = [i for i, line in enumerate(lines) if line.strip() == f"<{TRANSCRIPT}>"]
    found: list[AskedRow] = []
    for line in lines[opens[-1] + 1 :] if opens else []:
        if line.strip() == f"</{TRANSCRIPT}>":
            break
        match = _ROW.fullmatch(line.rstrip("\r"))
        start_ms = read_timecode(match[2]) if match else None
        if match and start_ms is not None:
            found.append(AskedRow(int(match[1]), start_ms, read_cell(match[3])))
    return found


def recording_of(entries: Sequence[Entry], rows: Sequence[AskedRow]) -> Entry | None:
    """The registered recording whose authored rows say every asked row's words."""
    return next((e for e in entries if all(authored_row(e.rows, r) for r in rows)), None)


def authored_row(rows: Sequence[Row], asked_row: AskedRow) -> Row | None:
    """The authored row with the asked row's words (the one starting nearest when several)."""
    words = _words(asked_row.text)
    same = [row for row in rows if words and _words(row.text) == words]
    return min(same, key=lambda row: abs(row.start_ms - asked_row.start_ms), default=None)


def unanswered(authored: Authored, request: Asked) -> str | None:
    """Why the authored answer does not answer the request (None: it does)."""
    if request.lang is not None and request.lang not in authored.translations:
        langs = ", ".join(sorted(authored.translations)) or "none"
        return f"a translation into {request.lang!r} of this transcript (authored: {langs})"
    if request.lang is None and not authored.chapters:
        return "the chapters of this transcript"
    return None


def enrichment_text(
    authored: Authored, duration_s: float, request: Asked, fault: str | None = None
) -> str:
    """The answer: the translation table, or the chapters and the summary."""
    if request.lang is None:
        return chapters_text(authored, duration_s)
    return translation_text(authored, request, fault)


def translation_text(authored: Authored, request: Asked, fault: str | None = None) -> str:
    """Each asked row's authored translation, keyed by its asked index; `missing_row` drops the
    middle asked row, `extra_row` adds one with the index after the last asked."""
    translated = authored.translations[str(request.lang)]
    lines = []
    for row in request.rows:
        found = authored_row(authored.rows, row)
        assert found is not None  # `recording` matched every row
        lines.append((row.index, translated[authored.rows.index(found)]))
    if fault == "missing_row":
        del lines[len(lines) // 2]
    elif fault == "extra_row":
        lines.append((max(r.index for r in request.rows) + 1, lines[-1][1]))
    body = [f"{index}\t{cell(text)}" for index, text in lines]
    return _block(TRANSLATION, ["\t".join(TRANSLATION_COLUMNS), *body])


def chapters_text(authored: Authored, duration_s: float) -> str:
    """The authored chapters (timecodes as the transcript's: `H:MM:SS` for media of an hour or
    more, else `MM:SS`), then the summary."""
    hours = round(duration_s * 1000) >= ONE_HOUR_MS
    body = [f"{timecode(c.start_ms, hours)}\t{cell(c.title)}" for c in authored.chapters]
    chapters = _block(CHAPTERS, ["\t".join(CHAPTER_COLUMNS), *body])
    return chapters + _block(SUMMARY, [authored.summary or ""])


def _block(tag: str, lines: list[str]) -> str:
    return "\n".join([f"<{tag}>", *lines, f"</{tag}>"]) + "\n"


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())
