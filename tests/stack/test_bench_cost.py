"""`bench/cost.py`'s arithmetic: per media hour, from the documents' own estimates, each checked
against the product's estimate at the run's tier."""

from __future__ import annotations

import pytest

from bench.cost import Run, estimated_usd, metrics
from functions.core.catalog import Tier, catalog
from functions.core.messages import Usage

MODEL = catalog().default
HOUR = Usage(prompt_tokens=400_000, output_tokens=40_000, thought_tokens=1_000)


def run(tier: Tier, recorded_usd: float | None = None, usage: Usage = HOUR) -> Run:
    estimated = estimated_usd(Run(MODEL, 3600.0, False, usage, tier, 0.0))
    return Run(
        MODEL, 3600.0, False, usage, tier, estimated if recorded_usd is None else recorded_usd
    )


def test_a_batched_run_of_the_same_tokens_costs_half() -> None:
    found = {m.key: m for m in metrics([run("standard")] * 2, [run("batch")] * 2)}
    assert found["cost.usd_per_media_hour"].value == pytest.approx(
        estimated_usd(run("standard")), rel=1e-3
    )
    assert found["cost.batch_ratio"].value == pytest.approx(0.5, abs=1e-3)
    assert found["cost.usd_per_media_hour_batch"].verdict == "met"


def test_a_batched_run_that_spends_more_tokens_misses_the_goal() -> None:
    more = Usage(prompt_tokens=500_000, output_tokens=40_000, thought_tokens=1_000)
    found = {m.key: m for m in metrics([run("standard")], [run("batch", usage=more)])}
    assert found["cost.batch_ratio"].value > 0.5
    assert found["cost.usd_per_media_hour_batch"].verdict == "MISSED"


def test_a_document_whose_cost_is_not_the_estimate_is_refused() -> None:
    with pytest.raises(RuntimeError, match="differs from the estimate"):
        metrics([run("standard", recorded_usd=1.0)], [run("batch")])
    with pytest.raises(RuntimeError, match="differs from the estimate"):
        metrics([run("standard")], [run("batch", recorded_usd=estimated_usd(run("standard")))])
