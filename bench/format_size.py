"""Output size: our compact format against seed 001's JSON carrying the same transcript.

The JSON is what a controlled-generation response carries (`task1_transcripts` with start, text,
voice; `task2_speakers` with voice, name, company, position, role_in_video) serialised compactly
(`json.dumps` defaults) and, as models often emit it, indented. Ours also carries the evidence
column the JSON lacks, so the ratio is conservative.
"""

from __future__ import annotations

import json

from bench.corpus import Transcript, all_transcripts, talk
from bench.report import Metric, main
from functions.format.tables import format_timecode


def seed_json(t: Transcript, indent: int | None = None) -> str:
    document = {
        "task1_transcripts": [
            {"start": format_timecode(start, t.with_hours), "text": text, "voice": voice}
            for start, voice, text in t.segments
        ],
        "task2_speakers": [
            {
                "voice": v,
                "name": n or "?",
                "company": c or "?",
                "position": p or "?",
                "role_in_video": r or "?",
            }
            for v, n, c, p, r, _ in t.speakers
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=indent)


OUTPUT_TOKENS = 65_536
CHARS_PER_TOKEN = 4


def minutes_per_request() -> list[Metric]:
    """Minutes of dense speech (the talk: about 150 words a minute) whose transcript fits in one
    response's output budget, in each format."""
    t = talk()
    minutes = (t.segments[-1][0] - t.segments[0][0]) / 60_000
    budget = OUTPUT_TOKENS * CHARS_PER_TOKEN
    words = sum(len(text.split()) for _, _, text in t.segments)
    return [
        Metric("format.words_per_minute", round(words / minutes), "words", "talk corpus density"),
        Metric(
            "format.minutes_per_request",
            round(budget / (len(t.compact()) / minutes), 1),
            "min",
            f"{OUTPUT_TOKENS:,} output tokens x {CHARS_PER_TOKEN} chars, ours",
        ),
        Metric(
            "format.minutes_per_request_json",
            round(budget / (len(seed_json(t)) / minutes), 1),
            "min",
            "the same, seed-001 JSON",
        ),
    ]


def run() -> list[Metric]:
    metrics = []
    for t in all_transcripts():
        ours, compact, indented = len(t.compact()), len(seed_json(t)), len(seed_json(t, 2))
        key = t.name.split()[0]
        goal = "<= 0.70" if key == "trailer" else ""
        metrics += [
            Metric(f"format.{key}.chars", ours, "chars", f"{t.name}, ours"),
            Metric(f"format.{key}.chars_json", compact, "chars", f"{t.name}, seed-001 JSON"),
            Metric(f"format.{key}.ratio", round(ours / compact, 3), "x", "ours / JSON", goal),
            Metric(
                f"format.{key}.ratio_indented",
                round(ours / indented, 3),
                "x",
                "ours / indented JSON",
            ),
        ]
    metrics += minutes_per_request()
    trailer_ratio = next(m for m in metrics if m.key == "format.trailer.ratio")
    metrics.append(
        Metric("format.char_ratio", trailer_ratio.value, "x", "trailer, ours / JSON", "<= 0.70")
    )
    return metrics


if __name__ == "__main__":
    main(run)
