"""A batched run's cost is estimated at the batch tier (decision 0032): the document's
`priority: batch` makes the store's ending price it at the catalog's batch share."""

from __future__ import annotations

import pytest

from functions.core.catalog import catalog
from functions.core.documents import Status
from functions.core.messages import Usage
from functions.store.ending import Ending, terminal_fields
from functions.store.state import Run

USAGE = Usage(prompt_tokens=1_000_000, output_tokens=200_000, thought_tokens=0)
ENDING = Ending(Status.COMPLETED, None, True, "STOP", USAGE, None, "gemini-3.8-flash", 10)


def cost(doc: dict[str, object]) -> dict[str, object]:
    fields = terminal_fields("t-1", Run(generation="1", attempt=1), doc, ENDING)
    return fields["cost"]


def test_a_batched_run_costs_the_batch_share_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    standard, batch = cost({"has_video": True}), cost({"has_video": True, "priority": "batch"})
    assert (standard["tier"], batch["tier"]) == ("standard", "batch")
    share = catalog().batch_price_share
    assert batch["total"] == pytest.approx(standard["total"] * share)  # type: ignore[operator]
