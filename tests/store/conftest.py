"""The store's test stack: the function served by functions-framework against the Firestore,
Pub/Sub and Cloud Storage emulators, with a results bucket, and events and clips subscriptions
of its own (the store asks a long upload's voices pass on the clips topic)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore, pubsub_v1, storage

from functions.core.documents import TRANSCRIPTIONS
from functions.core.events import CompletionEvent
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from tests.store.support import cloud_event, push_body

PROJECT = "tabscribe-test"


@dataclass
class Stack:
    db: firestore.Client
    http: Any
    bucket: storage.Bucket
    subscriber: pubsub_v1.SubscriberClient
    events: str  # pull subscription on the events topic
    clips: str  # pull subscription on the clips topic

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
        """Every event on the subscription: waits for `expect`, then briefly for any more."""
        events: list[CompletionEvent] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            wait = 2 if len(events) < expect else 1
            response = self.subscriber.pull(subscription=self.events, max_messages=10, timeout=wait)
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
            elif len(events) >= expect:
                break
        return events

    def pull_tasks(self) -> list[pubsub_v1.types.PubsubMessage]:
        """The messages on the clips topic so far (acknowledged)."""
        response = self.subscriber.pull(subscription=self.clips, max_messages=10, timeout=5)
        if response.received_messages:
            ack_ids = [m.ack_id for m in response.received_messages]
            self.subscriber.acknowledge(subscription=self.clips, ack_ids=ack_ids)
        return [m.message for m in response.received_messages]


@pytest.fixture(scope="module")
def http(emulators: Any) -> Any:
    return create_app(target="store_transcription", source="main.py").test_client()


@pytest.fixture
def stack(
    firestore_db: firestore.Client, http: Any, unique: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    monkeypatch.setenv("TABSCRIBE_RESULTS_BUCKET", f"results-{unique}")
    monkeypatch.setenv("TABSCRIBE_EVENTS_TOPIC", f"events-{unique}")
    monkeypatch.setenv("TABSCRIBE_CLIPS_TOPIC", f"clips-{unique}")
    get_settings.cache_clear()
    bucket = storage.Client(project=PROJECT).create_bucket(f"results-{unique}")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    subscriptions = []
    for name in ("events", "clips"):
        topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/{name}-{unique}").name
        subscriptions.append(
            subscriber.create_subscription(
                name=f"projects/{PROJECT}/subscriptions/{name}-{unique}", topic=topic
            ).name
        )
    yield Stack(firestore_db, http, bucket, subscriber, *subscriptions)
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
