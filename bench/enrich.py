"""Enrichments (decision 0026): how long a translation takes once the transcript is complete,
and what the enrichments cost in input next to the transcription.

The whole local stack transcribes `samples/keynote.mp4` (10:13, 218 authored rows) asking for a
French translation and the chapters with the summary, with the stand-in at its realistic pace
(docs/standin.md, "Pacing": first token after 2 s + prompt tokens / 10,000 per s, then 150
output tokens per s), in real time. A warm-up upload answered at once goes first (every
function's first call: imports, clients).

- `enrich.translation_s`: the French translation's `asked_at` (the store's completion commit)
  to its `finished_at` (the enrichment room's commit), both Firestore server timestamps: the
  task's delivery, the claim, the reading of the transcript, the request (its parts in
  parallel) and the record.
- `enrich.input_share`: the enrichments' prompt tokens (the translation's and the chapters')
  ÷ the transcription's (the document's `usage`, which adds the enrichments', less theirs).
  Goal ≤ 0.10: text is cheap next to media.
"""

from __future__ import annotations

from typing import Any

from bench.control import standin
from bench.report import Metric, main
from functions.core.documents import transcription_id
from stack.follow import put, wait_for_enrichments, wait_for_terminal
from stack.local import BUCKET, ROOT, LocalStack

SAMPLE = ROOT / "samples" / "keynote.mp4"
ASKED = {"translate": "fr", "chapters": "true"}


def enriched(stack: LocalStack, owner: str) -> dict[str, Any]:
    """The keynote uploaded for `owner` asking for `ASKED`, once its enrichments have ended."""
    blob = put(SAMPLE, owner, ASKED)
    doc = wait_for_terminal(blob.name, stack.logs, blob.generation)
    if doc.get("status") != "completed":
        raise RuntimeError(f"{blob.name}: {doc.get('status')}: {doc.get('reason')}")
    doc = wait_for_enrichments(transcription_id(BUCKET, blob.name), timeout_s=600)
    ended = {name: entry["status"] for name, entry in doc["enrichments"].items()}
    if set(ended.values()) != {"completed"}:
        raise RuntimeError(f"{blob.name}: enrichments {ended}: not timed")
    return doc


def metrics(doc: dict[str, Any]) -> list[Metric]:
    french = doc["enrichments"]["translation_fr"]
    seconds = (french["finished_at"] - french["asked_at"]).total_seconds()
    enrichments = sum(e["usage"]["prompt_tokens"] for e in doc["enrichments"].values())
    transcription = doc["usage"]["prompt_tokens"] - enrichments
    what = "keynote (218 rows) into French, realistic pace: completion to recorded"
    return [
        Metric(
            "enrich.translation_s", round(seconds, 2), "s", f"{what}, {french['requests']} requests"
        ),
        Metric(
            "enrich.input_share",
            round(enrichments / transcription, 4),
            "ratio",
            "enrichments' prompt tokens ÷ the transcription's (French + chapters, keynote)",
            "<= 0.10",
        ),
    ]


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-enrich")
    stack.start()
    try:
        url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
        standin(url, "config", {"realistic_pace": False})
        enriched(stack, "bench-enrich-warm")
        standin(url, "config", {"realistic_pace": True, "pace_scale": 1.0})
        doc = enriched(stack, "bench-enrich")
    finally:
        stack.stop()
    return metrics(doc)


if __name__ == "__main__":
    main(run)
