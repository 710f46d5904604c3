"""A test run killed by a timeout leaves no emulator or function server behind: pytest on SIGTERM
ends the process groups it started (`stack.services.stop_on_signals`, from `tests/conftest.py`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stack.services import group_alive
from tests.paths import ROOT

pytestmark = pytest.mark.emulator

HANGING_TEST = """
import time
from stack.services import start_storage, wait_ready

def test_hangs(tmp_path):
    service = start_storage(tmp_path)
    wait_ready(service)
    print("GROUP", service.process.pid, flush=True)
    time.sleep(600)
"""


def test_a_run_killed_by_a_timeout_leaves_no_service_running(tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(HANGING_TEST)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "tests.conftest", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.stdout is not None
    try:
        group = next(int(line.split()[1]) for line in run.stdout if line.startswith("GROUP"))
        assert group_alive(group)
        run.send_signal(signal.SIGTERM)  # what `timeout` sends
        assert run.wait(timeout=30) == -signal.SIGTERM  # it still dies of the signal
    finally:
        run.kill()
    deadline = time.monotonic() + 10
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(group), "the emulator outlived the killed run"
