"""Benchmark plumbing: a metric type, the printed table, and `bench/results.json`."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results.json"


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    unit: str
    what: str
    goal: str = ""  # e.g. "<= 0.70", ">= 100000"

    @property
    def verdict(self) -> str:
        match = re.fullmatch(r"([<>]=)\s*([\d.]+)", self.goal)
        if not match:
            return ""
        limit = float(match.group(2))
        met = self.value <= limit if match.group(1) == "<=" else self.value >= limit
        return "met" if met else "MISSED"


def print_table(metrics: list[Metric]) -> None:
    rows = [("metric", "value", "unit", "goal", "", "what")]
    rows += [(m.key, f"{m.value:,}", m.unit, m.goal, m.verdict, m.what) for m in metrics]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[5])


def machine() -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_results(metrics: list[Metric]) -> None:
    document = {"machine": machine(), "metrics": {m.key: m.value for m in metrics}}
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


def merge_results(metrics: list[Metric]) -> None:
    """Put `metrics` into bench/results.json, keeping every other key (and the machine block of
    the last full run) as it is."""
    document = json.loads(RESULTS.read_text())
    document["metrics"].update({m.key: m.value for m in metrics})
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


def environment_kept(run: Callable[[], list[Metric]]) -> list[Metric]:
    """`run()`, then this process's environment as it was, so no benchmark's settings reach the
    next one's stack (`make bench` runs them all in one process); a change left behind is named."""
    before = dict(os.environ)
    try:
        return run()
    finally:
        if left := sorted(k for k in {*before, *os.environ} if before.get(k) != os.environ.get(k)):
            print(f"environment restored after the benchmark: {', '.join(left)}", file=sys.stderr)
            os.environ.clear()
            os.environ.update(before)


def main(run: Callable[[], list[Metric]]) -> None:
    """Run one benchmark script on its own: print its table; with `--merge`, also put its keys
    into bench/results.json (otherwise left alone)."""
    metrics = run()
    print_table(metrics)
    if "--merge" in sys.argv[1:]:
        merge_results(metrics)
        print(f"\nmerged into: {RESULTS}")
