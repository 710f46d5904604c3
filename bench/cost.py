"""What an hour of media costs on the default model, standard and batch.

The whole local stack (as `bench/pipeline.py`) transcribes every bundled sample in `samples/`
(docs/samples.md: five recordings, 100-minute conference included, so long media goes as clips
and a voices pass) twice with the stand-in answering at once: streamed, and with
`priority=batch` through the stand-in's batch jobs (every request of a batched run is a line,
its voices pass included: decision 0033). Each run's cost is read off its transcription
document: the store's estimate (`functions/store/cost.py`) of the tokens the stand-in reported,
summed over the run's requests, at the catalog's list prices in force today
(`functions/core/models.toml`), standard or at the batch share. The standard figure is checked
against the same estimate made here from the documents' usage. The stand-in's token counts
follow the documented rates (docs/standin.md, "Usage metadata"), not a real tokenizer.

- `cost.usd_per_media_hour`: the samples' standard cost ÷ their hours of media;
- `cost.usd_per_media_hour_batch`: the same, batched (goal: at most half the standard figure);
- `cost.batch_ratio`: batch ÷ standard.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.long import follow
from bench.report import Metric, main
from functions.core.catalog import Tier, catalog
from functions.core.messages import Usage
from functions.core.settings import catalog_prices
from functions.store.cost import estimate_cost
from stack.local import ROOT, LocalStack

SAMPLES = sorted((ROOT / "samples").iterdir())
OWNERS: dict[Tier, str] = {  # new users each run: the daily caps count a user's media hours
    tier: f"bench-cost-{tier}-{uuid.uuid4().hex[:6]}" for tier in ("standard", "batch")
}
# one batch of every sample's requests, sealed at the scheduler's next tick
FUNCTION_ENV = {"TABSCRIBE_BATCH_MAX": "100", "TABSCRIBE_BATCH_WAIT_S": "0"}


@dataclass(frozen=True)
class Run:
    """One sample's run as its document records it."""

    model: str
    media_s: float
    audio_only: bool
    usage: Usage
    tier: Tier
    recorded_usd: float  # the document's own estimate


def estimated_usd(run: Run) -> float:
    """The product's estimate of the run's usage at its tier, made here."""
    cost = estimate_cost(run.model, run.usage, run.audio_only, catalog_prices(), tier=run.tier)
    return 0.0 if cost is None else float(cost["total"])


def measured(path: Path, tier: Tier) -> Run:
    metadata: dict[str, str] | None = {"priority": "batch"} if tier == "batch" else None
    doc = follow(path, OWNERS[tier], metadata).doc
    if doc.get("status") != "completed" or doc["cost"]["tier"] != tier:
        raise RuntimeError(f"{path.name} ({tier}): {doc.get('status')}, {doc.get('cost')}")
    return Run(
        model=doc["model"],
        media_s=doc["duration_ms"] / 1000,
        audio_only=doc.get("has_video") is False,
        usage=Usage.model_validate(doc["usage"]),
        tier=tier,
        recorded_usd=float(doc["cost"]["total"]),
    )


def metrics(standard: list[Run], batch: list[Run]) -> list[Metric]:
    runs = [*standard, *batch]
    if {r.model for r in runs} != {catalog().default}:
        raise RuntimeError(f"runs on {sorted({r.model for r in runs})}, not the default model")
    for run in runs:  # the documents' estimate is the product's, at the run's tier
        if abs(estimated_usd(run) - run.recorded_usd) > 1e-4:
            raise RuntimeError(
                f"a {run.tier} run's cost {run.recorded_usd} differs from the estimate"
            )
    hours = sum(r.media_s for r in standard) / 3600
    if abs(sum(r.media_s for r in batch) / 3600 - hours) > 1e-6:
        raise RuntimeError("the batched runs are not the same samples")
    per_hour = sum(r.recorded_usd for r in standard) / hours
    per_hour_batch = sum(r.recorded_usd for r in batch) / hours
    what = f"{len(standard)} samples, {hours:.2f} h of media, default model, list prices today"
    return [
        Metric("cost.usd_per_media_hour", round(per_hour, 4), "USD/h", f"standard: {what}"),
        Metric(
            "cost.usd_per_media_hour_batch",
            round(per_hour_batch, 4),
            "USD/h",
            "priority=batch: every request a batch line (the documents' estimates)",
            f"<= {round(per_hour / 2, 4)}",
        ),
        Metric(
            "cost.batch_ratio",
            round(per_hour_batch / per_hour, 4),
            "ratio",
            "batch ÷ standard",
            "<= 0.5",
        ),
    ]


def run() -> list[Metric]:
    stack = LocalStack(
        workdir=ROOT / ".local" / "bench-cost", token_rate=0.0, function_env=FUNCTION_ENV
    )
    stack.start()
    try:
        standard = [measured(path, "standard") for path in SAMPLES]
        with ThreadPoolExecutor(len(SAMPLES)) as pool:
            batch = list(pool.map(lambda path: measured(path, "batch"), SAMPLES))
    finally:
        stack.stop()
    return metrics(standard, batch)


if __name__ == "__main__":
    main(run)
