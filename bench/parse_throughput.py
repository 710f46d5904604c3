"""Parse + validate throughput: the 600-segment talk fed as a stream, in 64-character chunks.

Throughput on this shared 2-core machine differs from one interpreter to the next by up to 1.6x
(same code, same input), so the figure is the median over several fresh interpreters, each the
median of many short rounds; the range across interpreters is printed with it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import talk
from bench.report import Metric, main
from functions.format.parser import StreamParser

CHUNK = 64
ROUNDS = 31
PROCESSES = 7


def _once(text: str) -> tuple[float, int]:
    started = time.process_time()
    parser = StreamParser()
    rows = 0
    for i in range(0, len(text), CHUNK):
        rows += len(parser.feed(text[i : i + CHUNK]))
    rows += len(parser.feed("", final=True))
    result = parser.close()
    elapsed = time.process_time() - started
    assert result.complete and not result.issues, "the benchmark input must parse cleanly"
    return elapsed, rows


def rows_per_s() -> float:
    """This interpreter's figure: the median of `ROUNDS` rounds after a warm-up."""
    text = talk().compact()
    _once(text)
    timings = [_once(text) for _ in range(ROUNDS)]
    return timings[0][1] / statistics.median(t for t, _ in timings)


def run() -> list[Metric]:
    root = Path(__file__).parent.parent
    command = [
        sys.executable,
        "-c",
        "from bench.parse_throughput import rows_per_s; print(rows_per_s())",
    ]
    figures = [
        float(subprocess.run(command, capture_output=True, text=True, check=True, cwd=root).stdout)
        for _ in range(PROCESSES)
    ]
    low, high = round(min(figures)), round(max(figures))
    return [
        Metric("parse.rows", _once(talk().compact())[1], "rows", "talk: segments + speakers"),
        Metric(
            "parse.rows_per_s",
            round(statistics.median(figures)),
            "rows/s",
            f"median of {PROCESSES} interpreters (range {low:,}-{high:,})",
            ">= 100000",
        ),
    ]


if __name__ == "__main__":
    main(run)
