"""`bench/cost.py`'s arithmetic: a batched run at the catalog's batch share, its voices pass at
the standard price (issue 28: the voices pass goes as a standard request)."""

from __future__ import annotations

import pytest

from bench.cost import Run, batch_usd, metrics, standard_usd
from functions.core.catalog import catalog
from functions.core.messages import Usage

MODEL = catalog().default
HOUR = Usage(prompt_tokens=400_000, output_tokens=40_000, thought_tokens=1_000)


def run(voices: Usage | None, recorded_usd: float | None = None) -> Run:
    standard = Run(MODEL, 3600.0, False, HOUR, voices, 0.0)
    recorded = standard_usd(standard) if recorded_usd is None else recorded_usd
    return Run(MODEL, 3600.0, False, HOUR, voices, recorded)


def test_a_run_without_a_voices_pass_costs_half_batched() -> None:
    plain = run(None)
    assert batch_usd(plain) == pytest.approx(standard_usd(plain) / 2, rel=1e-4)


def test_the_voices_pass_stays_at_the_standard_price() -> None:
    voices = Usage(prompt_tokens=40_000, output_tokens=100)
    clipped = run(voices)
    voices_usd = standard_usd(Run(MODEL, 0, False, voices, None, 0))
    expected = (standard_usd(clipped) - voices_usd) / 2 + voices_usd
    assert batch_usd(clipped) == pytest.approx(expected, rel=1e-4)
    assert batch_usd(clipped) > standard_usd(clipped) / 2


def test_metrics_are_per_media_hour_and_check_the_documents_cost() -> None:
    found = {m.key: m for m in metrics([run(None), run(None)])}
    per_hour = found["cost.usd_per_media_hour"].value
    assert per_hour == pytest.approx(standard_usd(run(None)), rel=1e-3)
    assert found["cost.batch_ratio"].value == pytest.approx(0.5, abs=1e-3)
    assert found["cost.usd_per_media_hour_batch"].verdict == "met"
    with pytest.raises(RuntimeError, match="differs from the documents"):
        metrics([run(None, recorded_usd=1.0)])
