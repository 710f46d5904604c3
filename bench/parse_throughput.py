"""Parse + validate throughput: the 600-segment talk fed as a stream, in 64-character chunks."""

from __future__ import annotations

import statistics
import time

from bench.corpus import talk
from bench.report import Metric, main
from functions.parser import StreamParser

CHUNK = 64
ROUNDS = 15


def _once(text: str) -> tuple[float, int]:
    started = time.perf_counter()
    parser = StreamParser()
    rows = 0
    for i in range(0, len(text), CHUNK):
        rows += len(parser.feed(text[i : i + CHUNK]))
    rows += len(parser.feed("", final=True))
    result = parser.close()
    elapsed = time.perf_counter() - started
    assert result.complete and not result.issues, "the benchmark input must parse cleanly"
    return elapsed, rows


def run() -> list[Metric]:
    text = talk().compact()
    _once(text)  # warm-up
    timings = [_once(text) for _ in range(ROUNDS)]
    rows = timings[0][1]
    median = statistics.median(t for t, _ in timings)
    return [
        Metric("parse.rows", rows, "rows", "talk: segments + speakers"),
        Metric(
            "parse.rows_per_s",
            round(rows / median),
            "rows/s",
            f"median of {ROUNDS}, {CHUNK}-char chunks",
            ">= 100000",
        ),
    ]


if __name__ == "__main__":
    main(run)
