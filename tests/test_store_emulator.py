"""The store against the real Firestore, Pub/Sub and Cloud Storage emulators, through the
functions-framework entry point with real CloudEvents and raw push bodies."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore, pubsub_v1, storage
from store_support import (
    all_segments,
    chunks_of,
    cloud_event,
    model_output,
    new_id,
    push_body,
    snapshot,
)

from functions.documents import TRANSCRIPTIONS
from functions.messages import ResultChunk
from functions.settings import get_settings
from functions.store.events import CompletionEvent

pytestmark = pytest.mark.emulator
PROJECT = "tabscribe-test"


@dataclass
class Stack:
    db: firestore.Client
    http: Any
    bucket: storage.Bucket
    subscriber: pubsub_v1.SubscriberClient
    events: str  # pull subscription on the events topic

    def deliver(self, chunk: ResultChunk, raw: bool = False, message_id: str = "1") -> int:
        if raw:
            response = self.http.post("/", json=push_body(chunk, message_id))
        else:
            response = self.http.post(
                "/",
                json=cloud_event(chunk, message_id),
                headers={"Content-Type": "application/cloudevents+json"},
            )
        return int(response.status_code)

    def pull_events(self, expect: int = 1) -> list[CompletionEvent]:
        events: list[CompletionEvent] = []
        for _ in range(10):
            response = self.subscriber.pull(subscription=self.events, max_messages=10, timeout=5)
            for received in response.received_messages:
                assert received.message.attributes["content-type"] == (
                    "application/cloudevents+json"
                )
                events.append(CompletionEvent.model_validate_json(received.message.data))
            if response.received_messages:
                self.subscriber.acknowledge(
                    subscription=self.events,
                    ack_ids=[m.ack_id for m in response.received_messages],
                )
            if len(events) >= expect:
                break
        return events


@pytest.fixture(scope="module")
def http(emulators: Any) -> Any:
    return create_app(target="store_transcription", source="main.py").test_client()


@pytest.fixture
def stack(
    firestore_db: firestore.Client, http: Any, unique: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    monkeypatch.setenv("TABSCRIBE_RESULTS_BUCKET", f"results-{unique}")
    monkeypatch.setenv("TABSCRIBE_EVENTS_TOPIC", f"events-{unique}")
    get_settings.cache_clear()
    bucket = storage.Client(project=PROJECT).create_bucket(f"results-{unique}")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/events-{unique}").name
    events = subscriber.create_subscription(
        name=f"projects/{PROJECT}/subscriptions/events-{unique}", topic=topic
    ).name
    yield Stack(firestore_db, http, bucket, subscriber, events)
    get_settings.cache_clear()


def transcriber_doc(db: firestore.Client, tid: str, generation: str, attempt: int) -> None:
    """What the transcriber writes before publishing a run's first chunk."""
    db.collection(TRANSCRIPTIONS).document(tid).set(
        {
            "source": {
                "bucket": "bucket",
                "name": "uploads/user-1/talk.mp4",
                "generation": generation,
                "content_type": "video/mp4",
                "size": 1234,
            },
            "owner": "user-1",
            "status": "processing",
            "run": {"generation": generation, "attempt": attempt},
            "model": "gemini-2.5-flash",
            "plan": {"media_resolution": "low"},
            "duration_ms": 400_000,
            "has_video": True,
            "has_audio": True,
        },
        merge=True,
    )


def test_ordered_delivery_stores_pages_stats_event_and_exports(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "1700000000000001", 1)
    chunks = chunks_of(model_output(100, voices=3), tid, rows=25)
    for chunk in chunks:
        assert stack.deliver(chunk) == 200
    state = snapshot(stack.db, tid)
    doc = state["doc"]
    assert doc["status"] == "completed" and doc["complete"] is True
    assert doc["counts"] == {"segments": 100, "speakers": 3, "issues": 0, "pages": 1}
    assert doc["progress"] == {"segments": 100, "last_start_ms": 396_000, "fraction": 1.0}
    assert doc["live_page"] is None and state["pending"] == []
    assert [s["segments"] for s in doc["speakers"]] == [34, 33, 33]
    assert sum(s["talk_ms"] for s in doc["speakers"]) == 400_000
    assert doc["speakers"][0]["name"] == "Person 1" and doc["speakers"][1]["first_ms"] == 4000
    assert doc["cost"]["total"] == pytest.approx(0.1 * 0.30 + 0.02 * 2.50)
    assert list(state["pages"]) == ["0000"]
    page = state["pages"]["0000"]
    assert page["owner"] == "user-1" and page["count"] == 100
    assert page["run"] == {"generation": "1700000000000001", "attempt": 1}
    assert doc["event"]["published"] is True
    [event] = stack.pull_events()
    assert event.id == f"{tid}-1700000000000001-1" and event.type.endswith(".completed")
    assert event.source == f"//tabscribe/transcriptions/{tid}"
    assert event.data.counts.segments == 100 and event.data.owner == "user-1"
    assert event.data.exports == doc["exports"]
    vtt = stack.bucket.blob(f"results/{tid}/transcript.vtt").download_as_text()
    srt_text = stack.bucket.blob(f"results/{tid}/transcript.srt").download_as_text()
    assert vtt.startswith("WEBVTT") and "<v Person 1>" in vtt
    assert "00:00:00.000 --> 00:00:04.000" in vtt
    assert "1\n00:00:00,000 --> 00:00:04,000\nPerson 1: " in srt_text
    assert doc["exports"]["vtt"] == f"gs://{stack.bucket.name}/results/{tid}/transcript.vtt"


def test_five_shuffled_deliveries_equal_one_ordered_delivery(stack: Stack, unique: str) -> None:
    ordered_id, shuffled_id = new_id(unique + "a"), new_id(unique + "b")
    text = model_output(450, voices=4, seed=7)
    for tid in (ordered_id, shuffled_id):
        transcriber_doc(stack.db, tid, "1700000000000001", 1)
    for chunk in chunks_of(text, ordered_id, rows=20):
        assert stack.deliver(chunk) == 200
    deliveries = chunks_of(text, shuffled_id, rows=20) * 5
    random.Random(3).shuffle(deliveries)
    for i, chunk in enumerate(deliveries):
        assert stack.deliver(chunk, raw=i % 2 == 0, message_id=str(i)) == 200
    ordered, shuffled = snapshot(stack.db, ordered_id), snapshot(stack.db, shuffled_id)

    def rename(value: Any) -> Any:  # the only difference allowed: the id itself
        return _replace(value, shuffled_id, ordered_id)

    assert rename(shuffled) == ordered
    assert (
        ordered["doc"]["counts"]["pages"] == 3 and len(all_segments(stack.db, shuffled_id)) == 450
    )
    assert len(stack.pull_events(expect=3)) == 2  # one per transcription, none repeated


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {_replace(k, old, new): _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value
