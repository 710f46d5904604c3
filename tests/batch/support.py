"""What the batch tests share: the collector's documents read and cleared, settings set."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.batch.poll import poll
from functions.core import clients
from functions.core.settings import get_settings

COLLECTIONS = ("batches", "batch_lines", "batch_open")


def batch_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def clean_batches() -> None:
    """Each test starts without batches: the open batch of a mode and model is shared."""
    db = clients.firestore_client()
    for name in COLLECTIONS:
        for snapshot in db.collection(name).stream():
            snapshot.reference.delete()


def lines_of(batch_id: str | None = None) -> list[dict[str, Any]]:
    query: Any = clients.firestore_client().collection("batch_lines")
    if batch_id is not None:
        query = query.where(filter=FieldFilter("batch", "==", batch_id))
    return [s.to_dict() or {} for s in query.stream()]


def batch(batch_id: str) -> dict[str, Any]:
    ref = clients.firestore_client().collection("batches").document(batch_id)
    return ref.get().to_dict() or {}


def batches() -> dict[str, dict[str, Any]]:
    return {
        s.id: s.to_dict() or {} for s in clients.firestore_client().collection("batches").stream()
    }


def poll_until_settled(timeout_s: float = 45.0, **kwargs: Any) -> list[dict[str, str]]:
    """Tick the poll until every batch is `done` (retries open new ones): the ticks' reports."""
    ticks = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ticks.append(poll(get_settings(), **kwargs))
        if batches() and all(b["state"] == "done" for b in batches().values()):
            return ticks
        time.sleep(0.2)
    raise AssertionError(f"batches not settled: {batches()}; ticks {ticks[-3:]}")
