"""The model catalog: the default is served today, settings refuse retired models, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from functions.core.catalog import MediaPart, Price, catalog, limit_refusal, price_on
from functions.core.settings import SettingsError, get_settings
from tests.core.test_cli import run as run_cli


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


def test_the_default_is_ga_on_both_apis_and_not_deprecated() -> None:
    """Decision 0006: a GA model served on the Gemini API and on Vertex (multi-regions too)."""
    default = catalog().models[catalog().default]
    assert default.stage == "ga" and not default.deprecated and default.routed_to is None
    assert "global" in default.vertex_locations and len(default.vertex_locations) > 1
    assert default.plan_thinking_level in default.thinking_levels  # 3.8 Flash: no MINIMAL
    assert default.price is not None


def test_the_catalog_of_2026_12_07() -> None:
    models = catalog().models
    for flash in ("gemini-3.6-flash", "gemini-3.7-flash", "gemini-3.8-flash"):
        assert models[flash].stage == "ga", flash
    assert "MINIMAL" not in models["gemini-3.8-flash"].thinking_levels
    old = models["gemini-3.5-flash"]
    assert old.deprecated and old.routed_to == "gemini-3.6-flash" and not old.shut_down()
    assert models[old.routed_to].stage == "ga"
    assert models["gemini-3.1-flash-lite"].shutdown == dt.date(2027, 5, 7)
    assert "gemini-3.5-flash-lite" in catalog().served()
    assert not any(m.startswith(("gemini-4-hydrogen", "gemini-4-carbon")) for m in models)


def test_every_model_has_its_per_prompt_limits_and_each_mode_an_object_size() -> None:
    for model in catalog().models.values():
        limits = model.limits
        assert (limits.videos_per_prompt, limits.audio_per_prompt) == (10, 1), model.id
        assert limits.video_s_with_audio == 2_700 and limits.video_s_without_audio == 3_600
        assert limits.audio_s == 30_240, model.id
    assert catalog().object_bytes == {"developer": 2 * 1024**3, "vertex": 2 * 1024**3 - 500 * 1024}


def test_the_limit_check_refuses_what_the_service_refuses() -> None:
    model = catalog().models[catalog().default]
    ten = [MediaPart("video", 30.0)] * 10
    assert limit_refusal(model, "vertex", ten) is None
    assert limit_refusal(model, "vertex", [*ten, MediaPart("video", 30.0)]) == (
        "Unable to submit request because it has 11 video files but the model only supports "
        "up to 10."
    )
    two_audio = [MediaPart("audio", 60.0)] * 2
    assert "has 2 audio files but the model only supports up to 1." in str(
        limit_refusal(model, "developer", two_audio)
    )
    assert limit_refusal(model, "vertex", [MediaPart("video", 2_700.0)]) is None
    too_long = limit_refusal(model, "vertex", [MediaPart("video", 2_701.0)])
    assert too_long is not None and "at most 2700 s per video on Vertex AI" in too_long
    assert limit_refusal(model, "vertex", [MediaPart("video", 3_000.0, has_audio=False)]) is None
    assert limit_refusal(model, "developer", [MediaPart("audio", 8 * 3600.0)]) is None
    assert limit_refusal(model, "developer", [MediaPart("audio", 9 * 3600.0)]) is not None
    assert limit_refusal(model, "developer", [MediaPart("video", None)]) is None  # unknown length


def test_the_price_in_force_on_a_day() -> None:
    early = Price(effective=dt.date(2026, 9, 2), input=0.75, input_audio=0.75, output=3.75)
    later = Price(effective=dt.date(2027, 1, 1), input=1.5, input_audio=1.5, output=7.5)
    assert price_on([later, early], dt.date(2026, 12, 31)) == early
    assert price_on([early, later], dt.date(2027, 1, 1)) == later
    assert price_on([early], dt.date(2026, 9, 1)) is None
    flash = catalog().models["gemini-3.8-flash"]
    assert [p.effective for p in flash.prices] == [dt.date(2026, 9, 2), dt.date(2027, 1, 1)]


def test_a_batch_request_is_billed_at_the_batch_share() -> None:
    """ "50% of the standard cost" (the batch-mode page, models.toml)."""
    price = Price(effective=dt.date(2026, 9, 2), input=0.75, input_audio=1.0, output=3.75)
    batch = catalog().tier_price(price, "batch")
    assert (batch.input, batch.input_audio, batch.output) == (0.375, 0.5, 1.875)
    assert batch.effective == price.effective
    assert catalog().tier_price(price, "standard") == price
    assert catalog().view()["batch_price_share"] == 0.5


def test_a_clip_longer_than_the_models_prompt_fails_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TABSCRIBE_CLIP_S", "2800")
    monkeypatch.setenv("TABSCRIBE_CLIP_THRESHOLD_S", "3000")
    with pytest.raises(SettingsError, match=r"TABSCRIBE_CLIP_S \(2800 s\) is longer than"):
        get_settings()


def test_every_fact_has_a_source_and_sane_limits() -> None:
    for model in catalog().models.values():
        assert model.sources and model.vertex_locations, model.id
        assert 0 < model.max_output_tokens <= 65_536 and model.audio_tokens_per_s > 0, model.id
        if model.generation >= 3:
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
    done = run_cli("models")
    assert done.returncode == 0, done.stderr
    models = {m["id"]: m for m in json.loads(done.stdout)["models"]}
    assert [m for m, facts in models.items() if facts["default"]] == [catalog().default]
    assert models["gemini-2.5-flash"]["served"] is False
    assert models["gemini-2.5-flash"]["shutdown"] == "2026-06-17"
    assert "deprecations" in models["gemini-2.5-flash"]["sources"]
    assert models["gemini-3.5-flash"]["deprecated"] is True
    assert models["gemini-3.5-flash"]["routed_to"] == "gemini-3.6-flash"
    assert models["gemini-3.8-flash"]["limits"]["videos_per_prompt"] == 10
    assert models["gemini-3.8-flash"]["limits"]["video_s_with_audio"] == 2_700
    assert models["gemini-3.8-flash"]["prices"][1]["effective"] == "2027-01-01"
    assert models["gemini-3.8-flash"]["price_today"] is not None
    assert json.loads(done.stdout)["object_bytes"]["vertex"] == 2 * 1024**3 - 500 * 1024


def test_the_languages_a_translation_may_target_are_iso_codes_with_english_names() -> None:
    import re

    from functions.core.media import UnknownLanguage, enrichment_names, translate_codes
    from functions.core.messages import ENRICHMENT_NAME

    languages = catalog().languages
    assert languages["fr"] == "French" and languages["he"] == "Hebrew" and "iw" not in languages
    assert len(languages) >= 38
    assert all(re.match(ENRICHMENT_NAME, f"translation_{code}") for code in languages)
    assert translate_codes(" FR, de,fr,") == ["fr", "de"]
    with pytest.raises(UnknownLanguage, match="'tlh' is not a language code Gemini supports"):
        translate_codes("fr,tlh")
    assert enrichment_names(["fr", "de"], True) == ["chapters", "translation_de", "translation_fr"]
    assert enrichment_names([], False) == []
