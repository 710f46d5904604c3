"""Cost estimate of one run from its token usage and the per-model price table in settings, at
the standard or the batch price (the catalog's batch share)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from functions.core.catalog import Price, Tier, catalog, price_on
from functions.core.messages import Usage

Prices = Mapping[str, Sequence[Price]]
AMOUNTS = ("input", "output", "total")


def price_of(model: str | None, prices: Prices, day: dt.date) -> tuple[str, Price] | None:
    """The price in force on `day` of the longest model-name prefix in the table
    (`gemini-2.5-flash-lite` before `gemini-2.5-flash`), or None for an unknown model."""
    if not model:
        return None
    name = model.removeprefix("models/")
    matches = [prefix for prefix in prices if name.startswith(prefix)]
    if not matches:
        return None
    prefix = max(matches, key=len)
    price = price_on(prices[prefix], day)
    return None if price is None else (prefix, price)


def estimate_cost(
    model: str | None,
    usage: Usage | None,
    audio_only: bool,
    prices: Prices,
    day: dt.date | None = None,
    tier: Tier = "standard",
) -> dict[str, Any] | None:
    """USD estimate at the prices in force on `day` (default: today, UTC; the run ends now):
    prompt tokens at the input rate (the audio rate for audio-only media), output and thinking
    tokens at the output rate; a `batch` request at the catalog's batch share of those prices.
    None without usage or a known price."""
    found = price_of(model, prices, day or dt.datetime.now(dt.UTC).date())
    if usage is None or found is None:
        return None
    prefix, listed = found
    price = catalog().tier_price(listed, tier)
    input_rate = price.input_audio if audio_only else price.input
    input_usd = usage.prompt_tokens * input_rate / 1e6
    output_usd = (usage.output_tokens + usage.thought_tokens) * price.output / 1e6
    return {
        "currency": "USD",
        "input": round(input_usd, 6),
        "output": round(output_usd, 6),
        "total": round(input_usd + output_usd, 6),
        "price_model": prefix,
        "tier": tier,
    }


def added(cost: dict[str, Any] | None, more: dict[str, Any] | None) -> dict[str, Any] | None:
    """Two estimates together (a run's and an enrichment's, decision 0026): the first's currency
    and price model, the amounts added; None when neither is known."""
    if not cost or not more:
        return cost or more
    amounts = {k: round(float(cost.get(k) or 0) + float(more[k]), 6) for k in AMOUNTS}
    return {**cost, **amounts}
