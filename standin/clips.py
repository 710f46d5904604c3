"""What a model answers for a clip of the media (a media part with start/end offsets): the authored
rows that start in the clip, with the voice numbers and timecodes a model that heard only that
clip would write (docs/standin.md, "Clips")."""

from __future__ import annotations

from dataclasses import replace

from standin.authored import Authored, Row, Speaker
from standin.writer import write

CLIP_TIMECODES = ("relative", "absolute")  # relative to the clip start (as a model writes), or not


def clip_text(authored: Authored, start_s: float, end_s: float, timecodes: str = "relative") -> str:
    """The answer for [start_s, end_s): rows starting there, voices renumbered 1, 2, … in order
    of first appearance, and a speaker named only when its authored evidence is in the clip."""
    start_ms, end_ms = round(start_s * 1000), round(end_s * 1000)
    rows = clip_rows(authored.rows, start_ms, end_ms)
    numbers: dict[int, int] = {}  # authored voice -> voice in the clip
    for row in rows:
        if row.voice is not None:
            numbers.setdefault(row.voice, len(numbers) + 1)
    shift_ms = 0 if timecodes == "absolute" else start_ms
    answer = [shifted(row, numbers, shift_ms) for row in rows]
    by_voice = {s.voice: s for s in authored.speakers}
    speakers = [
        clip_speaker(by_voice.get(voice, Speaker(voice)), number, (start_ms, end_ms), shift_ms)
        for voice, number in numbers.items()
    ]
    return write(answer, speakers, end_ms - shift_ms)


def clip_rows(rows: tuple[Row, ...], start_ms: int, end_ms: int) -> list[Row]:
    """The rows starting in [start_ms, end_ms)."""
    return [row for row in rows if start_ms <= row.start_ms < end_ms]


def shifted(row: Row, numbers: dict[int, int], shift_ms: int) -> Row:
    """The row in the answer: its voice renumbered, its start `shift_ms` earlier."""
    voice = None if row.voice is None else numbers[row.voice]
    return Row(row.start_ms - shift_ms, voice, row.text)


def clip_speaker(speaker: Speaker, number: int, clip_ms: tuple[int, int], shift_ms: int) -> Speaker:
    """The speaker as the clip shows them, under `number`: who they are only when the evidence
    is in the clip, their role always."""
    evidence = speaker.evidence_ms
    if evidence is None or not clip_ms[0] <= evidence < clip_ms[1]:
        return Speaker(number, role=speaker.role)
    return replace(speaker, voice=number, evidence_ms=evidence - shift_ms)
