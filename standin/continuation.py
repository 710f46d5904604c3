"""What a model answers to a continuation (functions/transcribe/prompt.py,
`build_continuation_prompt`): the rows of the media part's clip, with the voice IDs of the
`<EARLIER>` rows kept for the same people and new IDs for new people, as a model that follows the
instruction would write them (docs/standin.md, "Continuations")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from standin.authored import Authored, Row, Speaker
from standin.clips import clip_rows, shifted
from standin.protocol import ModelRequest
from standin.writer import read_cell, read_timecode, write

EarlierRow = tuple[int, int | None, str]  # start_ms (media time), voice (None: `?`), text
NEAR_MS = 2_000  # an EARLIER row is the authored row of the same text starting this close

EARLIER_TAG = "EARLIER"  # the continuation's data block, as the product's prompt names it
_VOICE = re.compile(r"\D{0,12}?(\d{1,4})")  # `3`, `V3`, `voice 3`; `?`: none
_OPEN, _CLOSE = f"<{EARLIER_TAG}>", f"</{EARLIER_TAG}>"


def is_continuation(request: ModelRequest) -> bool:
    """One media part with offsets, and instructions that carry the `<EARLIER>` block."""
    clipped = len(request.media) == 1 and request.media[0].offsets_in is not None
    return clipped and any(_OPEN in text for text in request.texts)


def earlier_rows(texts: Iterable[str]) -> list[EarlierRow]:
    """The rows of the last `<EARLIER>` block (a line of its own) in the texts; the header and
    lines that are not `timecode<TAB>voice<TAB>text` are skipped, a missing end tag tolerated."""
    lines = "\n".join(texts).splitlines()
    opens = [i for i, line in enumerate(lines) if line.strip() == _OPEN]
    if not opens:
        return []
    rows = []
    for line in lines[opens[-1] + 1 :]:
        if line.strip() == _CLOSE:
            break
        row = _earlier_row(line)
        if row is not None:
            rows.append(row)
    return rows


def _earlier_row(line: str) -> EarlierRow | None:
    cells = line.split("\t", 2)
    start_ms = read_timecode(cells[0])
    if start_ms is None or len(cells) < 3:
        return None
    number = _VOICE.fullmatch(cells[1].strip())
    voice = None if number is None else int(number.group(1))
    text = read_cell(cells[2]).strip()
    return (start_ms, voice, text) if text else None


def continuation_text(
    authored: Authored,
    start_s: float,
    end_s: float,
    earlier: Sequence[EarlierRow],
    timecodes: str = "relative",
) -> str:
    """The answer for [start_s, end_s) after `earlier`: the authored rows that start there, each
    authored voice numbered as the EARLIER rows number it, else by its authored number while that
    is free, else by the next number above all used; the speakers of the answer and of EARLIER,
    named as authored, with evidence only when it lies in the clip."""
    start_ms, end_ms = round(start_s * 1000), round(end_s * 1000)
    known = earlier_voices(authored.rows, earlier)
    rows = clip_rows(authored.rows, start_ms, end_ms)
    used = [voice for _, voice, _ in earlier if voice is not None]
    numbers = answer_numbers([r.voice for r in rows], known, set(used))
    shift_ms = 0 if timecodes == "absolute" else start_ms
    answer = [shifted(row, numbers, shift_ms) for row in rows]
    who = _speaking_as(numbers, known, used)
    speakers = _speakers(authored.speakers, who, (start_ms, end_ms), shift_ms)
    return write(answer, speakers, end_ms - shift_ms)


def earlier_voices(authored: Sequence[Row], earlier: Iterable[EarlierRow]) -> dict[int, int]:
    """Authored voice → the voice ID the EARLIER rows give it (the latest row's, if they
    differ): each EARLIER row is the authored row with the same text (the one starting within
    `NEAR_MS` when several have it)."""
    by_text: dict[str, list[Row]] = {}
    for row in authored:
        by_text.setdefault(_words(row.text), []).append(row)
    known: dict[int, int] = {}
    for start_ms, voice, text in earlier:
        match = _same_row(by_text.get(_words(text), []), start_ms)
        if match is not None and match.voice is not None and voice is not None:
            known[match.voice] = voice
    return known


def _same_row(candidates: list[Row], start_ms: int) -> Row | None:
    if len(candidates) == 1:
        return candidates[0]
    near = [c for c in candidates if abs(c.start_ms - start_ms) <= NEAR_MS]
    return min(near, key=lambda c: abs(c.start_ms - start_ms), default=None)


def _words(text: str) -> str:
    return " ".join(text.split())


def answer_numbers(
    voices: Iterable[int | None], known: dict[int, int], used: set[int]
) -> dict[int, int]:
    """Authored voice → its ID in the answer, in order of first appearance: the EARLIER ID if it
    has one, its own if no EARLIER voice (nor an earlier answer voice) has that, else one above
    every ID used so far."""
    numbers: dict[int, int] = {}
    taken = set(used)
    for voice in voices:
        if voice is None or voice in numbers:
            continue
        if voice in known:
            numbers[voice] = known[voice]
        else:
            numbers[voice] = voice if voice not in taken else max(taken) + 1
        taken.add(numbers[voice])
    return numbers


def _speaking_as(
    numbers: dict[int, int], known: dict[int, int], earlier: Iterable[int]
) -> dict[int, int | None]:
    """Answer ID → the authored voice it stands for (None: an EARLIER voice no authored row
    matched), for every voice of the answer and of EARLIER."""
    who: dict[int, int | None] = {number: None for number in earlier}
    who.update({number: voice for voice, number in known.items()})
    who.update({number: voice for voice, number in numbers.items()})
    return who


def _speakers(
    authored: Iterable[Speaker],
    who: dict[int, int | None],
    clip_ms: tuple[int, int],
    shift_ms: int,
) -> list[Speaker]:
    """One row per answer ID, in order: the authored speaker it stands for, if any."""
    by_voice: dict[int | None, Speaker] = {s.voice: s for s in authored}
    return [
        _speaker_row(number, by_voice.get(voice), clip_ms, shift_ms)
        for number, voice in sorted(who.items())
    ]


def _speaker_row(
    number: int, speaker: Speaker | None, clip_ms: tuple[int, int], shift_ms: int
) -> Speaker:
    """The authored speaker under its answer ID; evidence only when it lies in the clip."""
    if speaker is None:
        return Speaker(number)
    evidence = speaker.evidence_ms
    if evidence is not None and not clip_ms[0] <= evidence < clip_ms[1]:
        evidence = None
    moved = None if evidence is None else evidence - shift_ms
    return replace(speaker, voice=number, evidence_ms=moved)
