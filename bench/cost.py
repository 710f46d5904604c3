"""What an hour of media costs on the default model, standard and batch.

The whole local stack (as `bench/pipeline.py`) transcribes every bundled sample in `samples/`
(docs/samples.md: five recordings, 100-minute conference included, so long media goes as clips
and a voices pass) with the stand-in answering at once. Each run's usage is read off its
transcription document (the tokens the stand-in reported, summed over the run's requests by the
store) and priced with the product's own estimate (`functions/store/cost.py`) at the catalog's
list prices in force today (`functions/core/models.toml`), standard and batch.

A batched run sends its voices pass as a standard request (issue 28, item 4: it is small), so
its batch figure prices the voices pass (its clip document's `store.usage`) at the standard
price and the rest at the batch price. The stand-in's token counts follow the documented rates
(docs/standin.md, "Usage metadata"), not a real tokenizer.

- `cost.usd_per_media_hour`: the samples' standard cost ÷ their hours of media;
- `cost.usd_per_media_hour_batch`: the same, batched (goal: at most half the standard figure);
- `cost.batch_ratio`: batch ÷ standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.long import follow
from bench.report import Metric, main
from functions.core import clients
from functions.core.catalog import Tier, catalog
from functions.core.documents import clip_path, transcription_id
from functions.core.messages import Usage
from functions.core.settings import catalog_prices
from functions.store.cost import estimate_cost, run_cost
from stack.local import BUCKET, ROOT, LocalStack

SAMPLES = sorted((ROOT / "samples").iterdir())
OWNER = "bench-cost"


@dataclass(frozen=True)
class Run:
    """One sample's run: its model, media length and usage, the voices pass's share apart."""

    model: str
    media_s: float
    audio_only: bool
    usage: Usage
    voices: Usage | None
    recorded_usd: float  # the document's own estimate (standard)


def usd(run: Run, usage: Usage | None, tier: Tier) -> float:
    cost = estimate_cost(run.model, usage, run.audio_only, catalog_prices(), tier=tier)
    return 0.0 if cost is None else float(cost["total"])


def standard_usd(run: Run) -> float:
    return usd(run, run.usage, "standard")


def batch_usd(run: Run) -> float:
    """The run batched: every request at the batch price but the voices pass (the product's own
    estimate of a batched run, `run_cost`)."""
    cost = run_cost(run.model, run.usage, run.audio_only, catalog_prices(), "batch", run.voices)
    return 0.0 if cost is None else float(cost["total"])


def measured(path: Path) -> Run:
    doc = follow(path, OWNER).doc
    return Run(
        model=doc["model"],
        media_s=doc["duration_ms"] / 1000,
        audio_only=doc.get("has_video") is False,
        usage=Usage.model_validate(doc["usage"]),
        voices=voices_usage(doc),
        recorded_usd=float(doc["cost"]["total"]),
    )


def voices_usage(doc: dict[str, Any]) -> Usage | None:
    """The voices pass's usage (its clip document's `store.usage`), None for a run without."""
    run, count = doc["run"], (doc.get("clips") or {}).get("count") or 0
    if not count:
        return None
    tid = transcription_id(BUCKET, doc["source"]["name"])
    path = clip_path(tid, run["generation"], run["attempt"], count)
    recorded = (clients.firestore_client().document(path).get().to_dict() or {}).get("store")
    usage = (recorded or {}).get("usage")
    return None if usage is None else Usage.model_validate(usage)


def metrics(runs: list[Run]) -> list[Metric]:
    if {r.model for r in runs} != {catalog().default}:
        raise RuntimeError(f"runs on {sorted({r.model for r in runs})}, not the default model")
    hours = sum(r.media_s for r in runs) / 3600
    standard = sum(standard_usd(r) for r in runs)
    recorded = sum(r.recorded_usd for r in runs)
    if abs(standard - recorded) > 1e-4 * len(runs):  # the same estimate as the documents'
        raise RuntimeError(f"standard cost {standard} differs from the documents' {recorded}")
    batch = sum(batch_usd(r) for r in runs)
    per_hour, per_hour_batch = standard / hours, batch / hours
    what = f"{len(runs)} samples, {hours:.2f} h of media, default model, list prices today"
    return [
        Metric("cost.usd_per_media_hour", round(per_hour, 4), "USD/h", f"standard: {what}"),
        Metric(
            "cost.usd_per_media_hour_batch",
            round(per_hour_batch, 4),
            "USD/h",
            "batch (the voices pass standard)",
            f"<= {round(per_hour / 2, 4)}",
        ),
        Metric(
            "cost.batch_ratio", round(batch / standard, 4), "ratio", "batch ÷ standard", "<= 0.5"
        ),
    ]


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-cost", token_rate=0.0)
    stack.start()
    try:
        runs = [measured(path) for path in SAMPLES]
    finally:
        stack.stop()
    return metrics(runs)


if __name__ == "__main__":
    main(run)
