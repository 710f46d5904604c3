"""The model catalog: the default is served today, settings refuse retired models, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from functions.core.catalog import catalog
from functions.core.settings import SettingsError, get_settings
from tests.paths import ROOT


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("GEMINI_API_KEY", "TABSCRIBE_GEMINI_MODE", "TABSCRIBE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TABSCRIBE_ALLOWED_MODELS", raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_default_model_is_still_served_today() -> None:
    """The calendar check: fails on the day the default model's shutdown date passes."""
    default = catalog().get(catalog().default)
    assert default is not None, "the catalog's default is not one of its models"
    assert not default.shut_down(dt.date.today()), (
        f"{default.id} was shut down on {default.shutdown}: pick a served model as `default` in "
        "functions/core/models.toml (TABSCRIBE_MODEL's default) and infra's gemini_model"
    )
    assert get_settings().model == default.id


def test_every_fact_has_a_source_and_sane_limits() -> None:
    for model in catalog().models.values():
        assert model.sources and model.vertex_locations, model.id
        assert 0 < model.max_output_tokens <= 65_536 and model.audio_tokens_per_s > 0, model.id
        if model.generation == 3:
            assert model.plan_thinking_level in model.thinking_levels, model.id
            assert model.thinking_budget is None, model.id  # a level, never a budget
        else:
            budget = model.thinking_budget
            assert budget is not None and budget.min <= budget.plan <= budget.max, model.id


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_settings_refuse_a_retired_model(monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("TABSCRIBE_MODEL", model)
    with pytest.raises(SettingsError, match=rf"TABSCRIBE_MODEL: '{model}' was shut down on"):
        get_settings()


def test_settings_refuse_an_unknown_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABSCRIBE_MODEL", "gemini-9-foo")
    with pytest.raises(SettingsError, match="not in the model catalog; use one of: gemini-3"):
        get_settings()


def test_settings_refuse_an_allowed_list_with_a_retired_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TABSCRIBE_ALLOWED_MODELS", '["gemini-3-flash-preview", "gemini-2.5-pro"]')
    with pytest.raises(SettingsError, match=r"ALLOWED_MODELS: 'gemini-2\.5-pro' was shut"):
        get_settings()


def test_the_allowed_models_default_to_those_served() -> None:
    allowed = get_settings().allowed_models
    assert catalog().default in allowed
    assert all(not catalog().models[m].shut_down() for m in allowed)
    assert "gemini-2.5-flash" not in allowed and "gemini-3-pro-preview" not in allowed


def test_a_shutdown_date_takes_effect_on_its_day() -> None:
    retired = catalog().models["gemini-2.5-flash"]
    assert retired.shutdown is not None
    assert not retired.shut_down(retired.shutdown - dt.timedelta(days=1))
    assert retired.shut_down(retired.shutdown)


def test_vertex_location_falls_back_to_where_the_model_is_served() -> None:
    preview = catalog().models["gemini-3-flash-preview"]
    assert preview.vertex_location("us-central1") == "global"
    assert catalog().models["gemini-3.5-flash"].vertex_location("us") == "us"


def test_mime_names_per_mode() -> None:
    assert catalog().mime_type("video/mov", "vertex") == "video/quicktime"
    assert catalog().mime_type("audio/aac", "vertex") == "audio/x-aac"
    assert catalog().mime_type("video/avi", "vertex") is None
    assert catalog().mime_type("video/mov", "developer") == "video/mov"


def test_models_command_prints_the_catalog_with_the_default_marked() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "functions", "models"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    models = {m["id"]: m for m in json.loads(done.stdout)["models"]}
    assert [m for m, facts in models.items() if facts["default"]] == [catalog().default]
    assert models["gemini-2.5-flash"]["served"] is False
    assert models["gemini-2.5-flash"]["shutdown"] == "2026-06-17"
    assert "deprecations" in models["gemini-2.5-flash"]["sources"]
