"""Cold start: a fresh interpreter imports `main` and what the target's first event needs.

Compared with the import time of that function's own third-party dependencies, in a fresh
interpreter too (median of 5 each). Also checks that the store never imports google.genai.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.report import Metric, main

ROOT = Path(__file__).parent.parent
RUNS = 5
TARGETS = {
    # target: (its module, its third-party dependencies)
    "transcribe": (
        "transcribe_upload",
        "functions.transcribe.handler",
        [
            "functions_framework",
            "pydantic_settings",
            "google.genai",
            "google.cloud.firestore",
            "google.cloud.pubsub_v1",
            "google.cloud.storage",
            "av",
        ],
    ),
    "store": (
        "store_transcription",
        "functions.store.handler",
        [
            "functions_framework",
            "pydantic_settings",
            "google.cloud.firestore",
            "google.cloud.pubsub_v1",
            "google.cloud.storage",
            "srt",
            "webvtt",
        ],
    ),
}
_PROBE = """
import json, sys, time
started = time.perf_counter()
{imports}
elapsed = time.perf_counter() - started
print(json.dumps({{"s": elapsed, "genai": "google.genai" in sys.modules}}))
"""


def _time(imports: str) -> tuple[float, bool]:
    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": "bench", "PYTHONDONTWRITEBYTECODE": "0"}
    runs = []
    genai = False
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE.format(imports=imports)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(result["s"])
        genai = genai or result["genai"]
    return statistics.median(runs), genai


def run() -> list[Metric]:
    metrics = []
    for name, (target, module, dependencies) in TARGETS.items():
        deps_s, _ = _time("\n".join(f"import {d}" for d in dependencies))
        start_s, genai = _time(f"import main\nmain.{target}\nimport {module}")
        metrics += [
            Metric(
                f"coldstart.{name}_deps_s", round(deps_s, 3), "s", f"import {name}'s dependencies"
            ),
            Metric(
                f"coldstart.{name}_s",
                round(start_s, 3),
                "s",
                f"import main + {module}",
                f"<= {deps_s + 0.15:.3f}",
            ),
        ]
        if name == "store":
            metrics.append(
                Metric(
                    "coldstart.store_imports_genai",
                    int(genai),
                    "bool",
                    "google.genai in sys.modules after the store's imports",
                    "<= 0",
                )
            )
    return metrics


if __name__ == "__main__":
    main(run)
