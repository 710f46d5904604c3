"""The caps' cost estimate and their refusal (decision 0019): the catalog's price in force on the
day, the model's dearest frames, its audio tokens and a transcript's output per second."""

from __future__ import annotations

import datetime as dt

import pytest

from functions.core.caps import OUTPUT_TOKENS_PER_S, OverCap, estimate, resets_at
from functions.core.catalog import catalog, price_on

MODEL = "gemini-3.8-flash"
DAY = dt.date(2026, 12, 7)


def test_an_hour_of_video_costs_its_frames_audio_and_output_at_the_day_s_price() -> None:
    model = catalog().models[MODEL]
    price = price_on(model.prices, DAY)
    assert price is not None and price.input == 0.75  # the catalog's price in force that day
    tokens_in = 3600 * (280 + model.audio_tokens_per_s)  # 1 fps at high resolution, and audio
    tokens_out = 3600 * OUTPUT_TOKENS_PER_S
    expected = (tokens_in * price.input + tokens_out * price.output) / 1e6
    assert estimate(MODEL, 3600, True, DAY).cost_usd == pytest.approx(expected)
    assert estimate(MODEL, 3600, True, DAY).media_s == 3600


def test_audio_costs_less_more_frames_cost_more_and_prices_change_by_day() -> None:
    video = estimate(MODEL, 600, True, DAY).cost_usd
    assert estimate(MODEL, 600, False, DAY).cost_usd < video / 4
    assert estimate(MODEL, 600, True, DAY, fps=2).cost_usd > video * 1.7
    next_year = estimate(MODEL, 600, True, dt.date(2027, 1, 1)).cost_usd  # the price doubles
    assert next_year == pytest.approx(2 * video)


def test_a_model_without_a_list_price_counts_its_hours_only() -> None:
    unpriced = next(m.id for m in catalog().models.values() if not m.prices)
    assert (
        estimate(unpriced, 600, True, DAY).cost_usd == 0
        and estimate(unpriced, 600, True, DAY).media_s == 600
    )


def test_the_refusal_names_the_cap_its_use_and_the_next_utc_midnight() -> None:
    now = dt.datetime(2026, 12, 7, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert resets_at(now) == dt.datetime(2026, 12, 9, tzinfo=dt.UTC)  # 04:59 UTC on the 8th
    hours = str(OverCap("cap_user_media_h", 2, 2.25, resets_at(now)))
    assert hours == (
        "the daily cap of 2 media hours per user (TABSCRIBE_CAP_USER_MEDIA_H) is reached: "
        "2.25 hours used today; it resets at 2026-12-09 00:00 UTC"
    )
    cost = str(OverCap("cap_project_usd", 25, 25.1234, resets_at(now)))
    assert "US$25 of estimated cost for the project" in cost and "US$25.12 used" in cost
