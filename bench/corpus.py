"""The transcripts the benchmarks measure: seed 001's trailer and two generated, realistic ones.

Generated transcripts are deterministic (fixed seed) so figures are comparable run to run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from functions.format.parser import parse_text
from functions.format.tables import render_output

TRAILER = Path(__file__).parent.parent / "tests" / "data" / "trailer.tsv.txt"

_WORDS = str.split(
    "the we and that is to of it a in you so this what I think really data model about know "
    "people can have but be our with when there not just going they very more time question "
    "team build actually because first video research customers problem important right way "
    "scale years work different said better system years product learned interesting"
)

Segment = tuple[int, int | None, str]
Speaker = tuple[int, str | None, str | None, str | None, str | None, int | None]


@dataclass(frozen=True)
class Transcript:
    name: str
    segments: list[Segment]
    speakers: list[Speaker]
    with_hours: bool = False

    def compact(self) -> str:
        return render_output(self.segments, self.speakers, self.with_hours)


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rng.choice(".?.!.")


def _generated(name: str, segments: int, seconds: int, speakers: list[Speaker]) -> Transcript:
    rng = random.Random(42)
    step = seconds * 1000 // segments
    voices = [s[0] for s in speakers]
    weights = [6, *[1] * (len(voices) - 1)] if len(voices) > 2 else [1] * len(voices)
    rows: list[Segment] = [
        (i * step, rng.choices(voices, weights)[0], _sentence(rng, rng.randint(8, 30)))
        for i in range(segments)
    ]
    return Transcript(name, rows, speakers, with_hours=seconds >= 3600)


def trailer() -> Transcript:
    result = parse_text(TRAILER.read_text())
    return Transcript(
        "trailer (59 s)",
        [(s.start_ms, s.voice, s.text) for s in result.segments],
        [(s.voice, s.name, s.company, s.position, s.role, s.evidence_ms) for s in result.speakers],
    )


def interview() -> Transcript:
    return _generated(
        "interview (10 min)",
        140,
        600,
        [
            (1, "Maya Rodriguez", "Northwind Radio", "Senior Correspondent", "Interviewer", 4_000),
            (2, "Dr. Tomasz Kowalczyk", "Baltic Institute", "Head of Research", "Guest", 12_000),
        ],
    )


def talk() -> Transcript:
    return _generated(
        "talk (600 segments, 75 min)",
        600,
        75 * 60,
        [
            (1, "Priya Natarajan", "Contoso Cloud", "VP Engineering", "Keynote speaker", 9_000),
            (2, None, None, None, "Moderator", None),
            (3, "Lars Eriksen", "Fabrikam", "CTO", "Audience member", 3_905_000),
            (4, None, None, None, "Audience member", None),
        ],
    )


def all_transcripts() -> list[Transcript]:
    return [trailer(), interview(), talk()]
