"""`python -m functions parse|prompt` as a user runs them: a real subprocess, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT
from tests.transcribe import made_media

TRAILER = ROOT / "tests" / "data" / "trailer.tsv.txt"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "functions", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_parse_file_prints_the_contract_keys() -> None:
    done = run("parse", str(TRAILER))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"segments", "speakers", "complete", "issues"} <= result.keys()
    assert result["complete"] is True and result["issues"] == []
    assert len(result["segments"]) == 13 and len(result["speakers"]) == 6
    assert {"start_ms", "voice", "text"} <= result["segments"][0].keys()
    assert {"voice", "name", "company", "position", "role"} <= result["speakers"][0].keys()
    assert result["segments"][1]["start_ms"] == 5000 and result["segments"][1]["voice"] == 2
    anca = result["speakers"][2]
    assert (anca["name"], anca["company"]) == ("Anca Dragan", None)  # `?` becomes null


def test_parse_stdin_cut_mid_row_keeps_complete_rows() -> None:
    text = TRAILER.read_text()
    cut = text[: text.index("00:48") + 10]  # inside the 11th row
    result = json.loads(run("parse", "-", stdin=cut).stdout)
    assert result["complete"] is False
    assert [s["start_ms"] for s in result["segments"]][-1] == 43_000
    assert len(result["segments"]) == 10
    assert {"truncated_row", "cut_off"} <= {i["code"] for i in result["issues"]}


def test_parse_stdin_prints_the_sound_events_only_when_the_output_has_them() -> None:
    text = TRAILER.read_text()
    assert "events" not in json.loads(run("parse", "-", stdin=text).stdout)
    table = "<EVENTS>\nstart\tend\tkind\n00:03\t00:05\t[Applause]\n00:09\t?\tmusic\n</EVENTS>\n"
    result = json.loads(run("parse", "-", stdin=text + table).stdout)
    assert result["events"] == [
        {"start_ms": 3000, "end_ms": 5000, "kind": "applause"},
        {"start_ms": 9000, "end_ms": None, "kind": "music"},
    ]
    assert result["complete"] is True
    assert "<EVENTS>" in run("prompt", "--metadata", "events=true").stdout
    assert "<EVENTS>" not in run("prompt", "--metadata", "events=false").stdout


def test_parse_missing_file_is_a_clear_error() -> None:
    done = run("parse", "/nonexistent/output.txt")
    assert done.returncode == 2
    assert "cannot read /nonexistent/output.txt" in done.stderr


def test_prompt_uses_duration_and_metadata() -> None:
    done = run("prompt", "--duration", "4000", "--metadata", "title=Keynote", "language=fr")
    assert done.returncode == 0, done.stderr
    assert "(H:MM:SS)" in done.stdout and "Title: Keynote" in done.stdout
    assert "Spoken language (a hint): fr" in done.stdout


def test_prompt_rejects_malformed_metadata() -> None:
    done = run("prompt", "--metadata", "no-equals-sign")
    assert done.returncode == 2 and "KEY=VALUE" in done.stderr


def test_committed_message_schema_matches_the_model() -> None:
    done = run("schema")
    assert done.returncode == 0, done.stderr
    committed = (ROOT / "docs" / "schemas" / "result-chunk.schema.json").read_text()
    assert json.loads(done.stdout) == json.loads(committed), "run: python -m functions schema"


def test_probe_prints_the_verdict_of_a_sample() -> None:
    done = run("probe", str(ROOT / "samples" / "interview.mp4"))
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict == verdict | {
        "container": "MP4",
        "mime_type": "video/mp4",
        "duration_ms": 55200,
        "has_video": True,
        "has_audio": True,
        "accepted": True,
        "reason": None,
    }


def test_probe_rejects_with_the_reason_and_bounds_a_declared_duration(tmp_path: Path) -> None:
    recording = tmp_path / "recording.webm"  # a recorder's WebM: no duration in its header
    recording.write_bytes(made_media.webm_without_duration(2.0))
    done = run("probe", str(recording), "--declared-duration", "20000")
    verdict = json.loads(done.stdout)
    assert done.returncode == 1 and verdict["accepted"] is False
    assert verdict["container"] == "WebM" and verdict["duration_ms"] is None
    assert "declared duration, 20,000 s" in verdict["reason"]
    assert "TABSCRIBE_MIN_BITRATE_BPS" in verdict["reason"]
    accepted = json.loads(run("probe", str(recording), "--declared-duration", "2").stdout)
    assert accepted["accepted"] is True and accepted["duration_ms"] == 2000
    mkv = json.loads(run("probe", str(ROOT / "tests" / "data" / "media" / "clip.mkv")).stdout)
    assert mkv["accepted"] is False and "remux it to MP4" in mkv["reason"]
