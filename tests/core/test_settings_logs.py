"""Settings fail fast with clear messages; logs are JSON lines that Cloud Logging reads."""

from __future__ import annotations

import json
import logging
import re

import pytest

from functions.core import logs
from functions.core.messages import Usage
from functions.core.settings import SettingsError, get_settings
from tests.paths import ROOT


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_CLOUD_PROJECT", "GEMINI_API_KEY", "TABSCRIBE_GEMINI_MODE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def test_settings_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    monkeypatch.setenv("TABSCRIBE_MODEL", "gemini-3-flash-preview")
    monkeypatch.setenv("TABSCRIBE_FLUSH_ROWS", "10")
    settings = get_settings()
    assert (settings.project, settings.model, settings.flush_rows) == (
        "demo",
        "gemini-3-flash-preview",
        10,
    )
    assert settings.gemini_mode == "vertex" and settings.input_prefix == "uploads/"


def test_bad_settings_fail_with_every_problem_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABSCRIBE_GEMINI_MODE", "carrier-pigeon")
    monkeypatch.setenv("TABSCRIBE_TIME_BUDGET_S", "-1")
    with pytest.raises(SettingsError) as error:
        get_settings()
    assert "gemini_mode" in str(error.value) and "time_budget_s" in str(error.value)


def test_developer_mode_needs_an_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABSCRIBE_GEMINI_MODE", "developer")
    with pytest.raises(SettingsError, match="GEMINI_API_KEY"):
        get_settings()
    monkeypatch.setenv("GEMINI_API_KEY", "secret-key-123")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.gemini_api_key == "secret-key-123" and "secret-key" not in repr(settings)


def test_prefixes_must_not_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    monkeypatch.setenv("TABSCRIBE_INPUT_PREFIX", "data/")
    monkeypatch.setenv("TABSCRIBE_OUTPUT_PREFIX", "data/results/")
    with pytest.raises(SettingsError, match="must not overlap"):
        get_settings()


def test_the_lease_outlives_missed_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    monkeypatch.setenv("TABSCRIBE_LEASE_S", "5")  # shorter than a Firestore hiccup
    with pytest.raises(SettingsError, match="lease_s"):
        get_settings()
    monkeypatch.setenv("TABSCRIBE_LEASE_S", "120")
    get_settings.cache_clear()
    assert get_settings().heartbeat_s == 30  # renewed four times a lease


def test_logs_are_json_lines_with_severity_and_id(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    logs.get_logger("test").warning("lease expired", extra={"transcription_id": "t-1"})
    logs.get_logger("test").debug("not shown")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["severity"] == "WARNING" and entry["message"] == "lease expired"
    assert entry["transcription_id"] == "t-1"


def test_a_run_s_end_carries_what_the_log_based_metrics_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """infra/monitoring.tf extracts these fields (docs/deploy.md, "Monitoring")."""
    logs.configure("INFO")
    usage = Usage(prompt_tokens=1200, output_tokens=300, thought_tokens=50)
    ended = logs.outcome("completed", "store", model="m", usage=usage, cost={"total": 0.0123})
    logs.get_logger("store").info("completion event published", extra=ended)
    logs.get_logger("watch").info("sweep: failed", extra=logs.outcome("failed", "sweep"))
    store, sweep = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert {k: store[k] for k in ended} == {
        "terminal_status": "completed",
        "ended_by": "store",
        "model": "m",
        "prompt_tokens": 1200,
        "output_tokens": 350,
        "cost_usd": 0.0123,
    }
    assert (sweep["terminal_status"], sweep["ended_by"]) == ("failed", "sweep")
    assert "cost_usd" not in sweep and "prompt_tokens" not in sweep
    monitoring = (ROOT / "infra" / "monitoring.tf").read_text(encoding="utf-8")
    for field in ended:  # extracted by name, or through local.usage_metrics
        assert re.search(rf'jsonPayload\.{field}\b|field = "{field}"', monitoring), field


def test_logs_carry_stack_traces(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    try:
        raise ValueError("boom")
    except ValueError:
        logs.get_logger("test").exception("failed", extra={"transcription_id": "t-2"})
    entry = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert entry["severity"] == "ERROR" and "ValueError: boom" in entry["stack_trace"]
    logging.getLogger("tabscribe").handlers.clear()
