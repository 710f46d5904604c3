"""The enrichments' requests (decision 0026, docs/format.md "Enrichments"): text only, one text
part each, the instructions first, then the transcript as a table the answer is keyed by.

A translation carries its language on a `<LANGUAGE>` line and its rows (all of them, or a part of
consecutive rows sized so the answer fits the model's output limit); `index` is a row's position
in the whole transcript. The chapters request carries every row and the identified speakers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from functions.format.enrichments import COLUMNS, MAX_CHAPTERS, MAX_SUMMARY_WORDS, Block
from functions.format.tables import Table, escape_text, format_timecode

# The tags are the contract with whoever answers (the stand-in holds its own copies).
LANGUAGE = "LANGUAGE"
TRANSCRIPT = Table.TRANSCRIPT.value
SPEAKERS = Table.SPEAKERS.value
TRANSLATION, CHAPTERS, SUMMARY = Block.TRANSLATION.value, Block.CHAPTERS.value, Block.SUMMARY.value
TRANSCRIPT_COLUMNS = ("index", "start", "voice", "text")
SPEAKER_COLUMNS = ("voice", "name", "company", "position", "role")
ONE_HOUR_MS = 3_600_000
# A translated row's answer, in tokens: its index and tab, and its text at 4 characters a token,
# doubled (a translation may run longer, and some scripts take more tokens a character).
ROW_TOKENS, TEXT_EXPANSION = 4, 2.0
# The share of the model's output limit one translation answer is sized to: the rest is left to
# thinking (which counts against the same limit) and to the estimate's error.
ANSWER_SHARE = 0.25


@dataclass(frozen=True)
class Row:
    """A transcript row as a request carries it."""

    index: int
    start_ms: int
    voice: int | None
    text: str


@dataclass(frozen=True)
class Speaker:
    voice: int
    name: str | None
    company: str | None
    position: str | None
    role: str | None


def transcript_table(rows: Sequence[Row], with_hours: bool) -> str:
    lines = [f"<{TRANSCRIPT}>", "\t".join(TRANSCRIPT_COLUMNS)]
    for row in rows:
        voice = "?" if row.voice is None else str(row.voice)
        start = format_timecode(row.start_ms, with_hours)
        lines.append(f"{row.index}\t{start}\t{voice}\t{escape_text(row.text)}")
    return "\n".join([*lines, f"</{TRANSCRIPT}>"])


def speakers_table(speakers: Sequence[Speaker]) -> str:
    def cell(value: str | None) -> str:
        return escape_text(value or "") or "?"

    lines = [f"<{SPEAKERS}>", "\t".join(SPEAKER_COLUMNS)]
    for s in speakers:
        cells = (s.name, s.company, s.position, s.role)
        lines.append("\t".join([str(s.voice), *(cell(c) for c in cells)]))
    return "\n".join([*lines, f"</{SPEAKERS}>"])


def _answer_table(block: Block, example: str) -> str:
    return f"<{block.value}>\n" + "\t".join(COLUMNS[block]) + f"\n{example}\n</{block.value}>"


def translation_prompt(
    lang: str, language: str, rows: Sequence[Row], duration_ms: int | None
) -> str:
    """The request for `rows` in `language` (its English name; `lang` its ISO 639 code)."""
    with_hours = (duration_ms or 0) >= ONE_HOUR_MS
    answer = _answer_table(Block.TRANSLATION, "0\t<the translated text of row 0>")
    instructions = f"""You translate the transcript of a recording into {language}.

<{TRANSCRIPT}> below holds rows of the transcript: index, start time, voice ID of the speaker, and
the text the speaker said. Translate the text of every row into {language} ({lang}), as the speaker
would say it in that language: faithfully, completely, in the same register, without comments.
Keep names of people, companies and products as they are written.

Answer with only this table, tab-separated, its header first, one line per row of the transcript,
each with the row's index, in the same order; never merge, split, skip or add a row:

{answer}

Write a text on one line: no tab and no line break inside it."""
    table = transcript_table(rows, with_hours)
    return f"{instructions}\n\n<{LANGUAGE}>{lang}</{LANGUAGE}>\n{table}\n"


def chapters_prompt(
    rows: Sequence[Row], speakers: Sequence[Speaker], duration_ms: int | None
) -> str:
    """The request for the chapters and the summary of the whole transcript."""
    with_hours = (duration_ms or 0) >= ONE_HOUR_MS
    first = format_timecode(rows[0].start_ms if rows else 0, with_hours)
    form = "H:MM:SS" if with_hours else "MM:SS"
    answer = _answer_table(Block.CHAPTERS, f"{first}\t<title of the first chapter>")
    instructions = f"""You divide the transcript of a recording into chapters and summarise it.

<{TRANSCRIPT}> below holds every row of the transcript: index, start time, voice ID of the speaker,
and the text. <{SPEAKERS}> names the speakers identified (`?`: unknown).

1. Chapters a viewer navigates by: one per part of the recording about one subject, at most
{MAX_CHAPTERS}, in time order. Each starts at the start time of the row where its subject begins
(the first at {first}), written {form}, and has a short title (at most ten words) in the
transcript's language.
2. A summary of the whole recording: one paragraph of at most {MAX_SUMMARY_WORDS} words in the
transcript's language, naming the identified speakers by their names.

Answer with only these two blocks, the table tab-separated with its header first:

{answer}
<{SUMMARY}>
<the summary>
</{SUMMARY}>"""
    tables = f"{transcript_table(rows, with_hours)}\n{speakers_table(speakers)}"
    return f"{instructions}\n\n{tables}\n"


def answer_tokens(row: Row) -> int:
    """The tokens a translated row's answer line may take (an estimate with margin)."""
    return ROW_TOKENS + math.ceil(len(row.text) * TEXT_EXPANSION / 4)


def parts(rows: Sequence[Row], max_rows: int, max_output_tokens: int) -> list[list[Row]]:
    """Consecutive rows in parts of at most `max_rows`, each part's answer estimated to take at
    most ANSWER_SHARE of the model's output limit (a row alone always makes a part)."""
    budget = max_output_tokens * ANSWER_SHARE
    found: list[list[Row]] = []
    part: list[Row] = []
    tokens = 0
    for row in rows:
        cost = answer_tokens(row)
        if part and (len(part) >= max_rows or tokens + cost > budget):
            found.append(part)
            part, tokens = [], 0
        part.append(row)
        tokens += cost
    return [*found, part] if part else found


def input_tokens(prompt: str) -> int:
    """The prompt's tokens as text is counted: about one per four characters."""
    return math.ceil(len(prompt) / 4)
