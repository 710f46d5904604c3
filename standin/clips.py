"""What a model answers for a clip of the media (a media part with start/end offsets): the authored
rows that start in the clip, with the voice numbers and timecodes a model that heard only that
clip would write (docs/standin.md, "Clips")."""

from __future__ import annotations

from functions.format.models import Speaker
from functions.format.parser import parse_text
from functions.format.tables import render_output
from functions.transcribe.prompt import timecode_format

CLIP_TIMECODES = ("relative", "absolute")  # relative to the clip start (as a model writes), or not

SpeakerRow = tuple[int, str | None, str | None, str | None, str | None, int | None]


def clip_text(authored: str, start_s: float, end_s: float, timecodes: str = "relative") -> str:
    """The answer for [start_s, end_s): rows starting there, voices renumbered 1, 2, … in order
    of first appearance, and a speaker named only when its authored evidence is in the clip."""
    start_ms, end_ms = round(start_s * 1000), round(end_s * 1000)
    authored_result = parse_text(authored)
    rows = [s for s in authored_result.segments if start_ms <= s.start_ms < end_ms]
    numbers: dict[int, int] = {}  # authored voice -> voice in the clip
    for row in rows:
        if row.voice is not None:
            numbers.setdefault(row.voice, len(numbers) + 1)
    shift_ms = 0 if timecodes == "absolute" else start_ms
    segments = [
        (row.start_ms - shift_ms, None if row.voice is None else numbers[row.voice], row.text)
        for row in rows
    ]
    authored_speakers = {s.voice: s for s in authored_result.speakers}
    speakers = [
        _speaker_row(authored_speakers[voice], number, start_ms, end_ms, shift_ms)
        for voice, number in numbers.items()
    ]
    with_hours = timecode_format((end_ms - shift_ms) / 1000) == "H:MM:SS"
    return render_output(segments, speakers, with_hours)


def _speaker_row(
    speaker: Speaker, number: int, start_ms: int, end_ms: int, shift_ms: int
) -> SpeakerRow:
    """The speaker as the clip shows them: who they are only when the evidence is in the clip."""
    evidence = speaker.evidence_ms
    if evidence is None or not start_ms <= evidence < end_ms:
        return (number, None, None, None, speaker.role, None)
    return (
        number,
        speaker.name,
        speaker.company,
        speaker.position,
        speaker.role,
        evidence - shift_ms,
    )
