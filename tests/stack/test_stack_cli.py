"""The local stack's command line refuses what it cannot do before starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.__main__ import main
from tests.paths import ROOT


def test_demo_of_own_media_without_real_gemini_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    assert main(["demo", str(ROOT / "tests" / "data" / "media" / "clip.mp4")]) == 1
    printed = capsys.readouterr()
    assert "not a bundled sample" in printed.err and "GEMINI_API_KEY" in printed.err
    assert "starting the local stack" not in printed.out  # refused before starting anything


def test_demo_of_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "no/such/file.mp4"]) == 1
    assert "no such file: no/such/file.mp4" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", [["samples"], ["upload", str(ROOT / "samples" / "podcast.m4a")]]
)
def test_commands_for_a_running_stack_say_to_start_it(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("stack.__main__.STATE", tmp_path / "state.json")
    assert main(command) == 1
    assert "the stack is not up; run `make up` first" in capsys.readouterr().err
