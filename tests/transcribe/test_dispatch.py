"""The clips topic's entry point hands a `task=enrich` message to the enrichment room
(decision 0026), its body parsed as an `EnrichTask`, with the function's settings. The room's
handler is stood in for here: this checks the dispatch alone."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from functions_framework import create_app

from functions.core.messages import EnrichTask
from functions.core.settings import Settings, get_settings
from tests.paths import ROOT
from tests.store.support import cloud_event

TASK = EnrichTask(
    transcription_id="a" * 32,
    bucket="uploads",
    name="uploads/u/talk.mp4",
    generation="7",
    attempt=1,
    enrichment="chapters",
)


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    room = types.ModuleType("functions.enrich.handler")
    room.handle_enrichment = lambda *args: calls.append(args) or "completed"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "functions.enrich.handler", room)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    get_settings.cache_clear()
    return calls


def test_an_enrich_task_goes_to_the_enrichment_room(handled: list[tuple[Any, ...]]) -> None:
    app = create_app(target="transcribe_clip", source=str(ROOT / "main.py")).test_client()
    body = cloud_event(TASK, message_id="42")  # type: ignore[arg-type]
    response = app.post("/", json=body, headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code == 200
    ((message_id, task, settings),) = handled
    assert message_id == "42" and task == TASK and isinstance(settings, Settings)


def test_a_body_that_is_not_its_task_is_not_handed_over(handled: list[tuple[Any, ...]]) -> None:
    app = create_app(target="transcribe_clip", source=str(ROOT / "main.py")).test_client()
    body = cloud_event(TASK)  # type: ignore[arg-type]
    body["data"]["message"]["data"] = "bm90IGpzb24="  # "not json"
    response = app.post("/", json=body, headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code != 200 and handled == []
