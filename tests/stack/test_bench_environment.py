"""No benchmark's settings outlive its stack: `make bench` runs every benchmark in one process, and
a setting one gave its functions (the streaming benchmark's one-request threshold) once reached the
next benchmark's stack through this process's environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import bench.__main__ as bench_main
from bench.report import Metric
from stack import local
from stack.local import LocalStack

SETTING = "TABSCRIBE_CLIP_THRESHOLD_S"


def test_a_benchmarks_environment_changes_do_not_reach_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SETTING, raising=False)
    monkeypatch.setenv("TABSCRIBE_CLIP_S", "600")
    seen: list[tuple[str | None, str | None]] = []

    class Leaky:
        @staticmethod
        def run() -> list[Metric]:
            os.environ[SETTING] = "86400"
            os.environ["TABSCRIBE_CLIP_S"] = "1"
            return []

    class Next:
        @staticmethod
        def run() -> list[Metric]:
            seen.append((os.environ.get(SETTING), os.environ.get("TABSCRIBE_CLIP_S")))
            return []

    monkeypatch.setattr(bench_main, "SCRIPTS", [Leaky, Next])
    monkeypatch.setattr(bench_main, "write_results", lambda metrics: None)
    assert bench_main.main() == 0
    assert seen == [(None, "600")]
    assert SETTING not in os.environ


def test_a_stacks_function_settings_reach_its_functions_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(SETTING, raising=False)
    spawned: dict[str, dict[str, str]] = {}

    def spawn(name: str, command: list[str], logs: Path, port: int, env: Any = None) -> Any:
        spawned[name] = dict(env or {})
        return None

    monkeypatch.setattr(local, "spawn", spawn)
    stack = LocalStack(workdir=tmp_path, function_env={SETTING: "86400"})
    stack._start_function("transcribe_upload", port=1)
    stack._start_function("transcribe_clip", port=2, function_env={SETTING: "100000"})
    assert spawned["transcribe_upload"][SETTING] == "86400"
    assert spawned["transcribe_clip"][SETTING] == "100000"
    assert SETTING not in os.environ


def test_a_stopped_stack_puts_back_only_the_names_it_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "before:1")
    monkeypatch.setenv(SETTING, "86400")  # a benchmark's setting when the stack starts…
    stack = LocalStack(workdir=tmp_path, env={"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080"})
    stack._enter_environment()
    assert os.environ["FIRESTORE_EMULATOR_HOST"] == "127.0.0.1:8080"
    monkeypatch.delenv(SETTING)  # …taken away by that benchmark while the stack runs
    stack.stop()
    assert os.environ["FIRESTORE_EMULATOR_HOST"] == "before:1"
    assert SETTING not in os.environ
