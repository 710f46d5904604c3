"""The corrections function's test stack: a finished transcription written by the store itself
(functions-framework, its chunks delivered as the push subscription would), then the corrections
function through functions-framework with the Firebase Auth emulator's real ID tokens, against
the Firestore, Pub/Sub and Cloud Storage emulators (a results bucket, an events subscription)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore, pubsub_v1, storage

from functions.core.documents import TRANSCRIPTIONS
from functions.core.events import CompletionEvent
from functions.core.settings import get_settings
from stack.accounts import id_token
from stack.services import Service
from tests.conftest import PROJECT
from tests.paths import ROOT
from tests.pulled import pull_acknowledged
from tests.store.conftest import transcriber_doc
from tests.store.support import chunks_of, model_output, new_id
from tests.store.support import cloud_event as chunk_event

ORIGIN = "http://127.0.0.1:8000"
OWNER = "user-1"  # the owner transcriber_doc records


@dataclass
class Corrections:
    app: Any
    store: Any
    carrier: Any
    db: firestore.Client
    bucket: storage.Bucket
    subscriber: pubsub_v1.SubscriberClient
    events: str
    auth_host: str

    def token(self, uid: str = OWNER) -> str:
        return id_token(self.auth_host, uid)

    def ask(self, body: Any, uid: str | None = OWNER, method: str = "POST") -> Any:
        headers = {"Origin": ORIGIN}
        if uid is not None:
            headers["Authorization"] = f"Bearer {self.token(uid)}"
        return self.app.open("/", method=method, headers=headers, json=body)

    def finished(self, unique: str, segments: int = 30, voices: int = 3) -> str:
        """A transcription the store has completed: `segments` rows by `voices` voices."""
        tid = new_id(unique)
        self.run(tid, "1700000000000001", model_output(segments, voices), segments * 4000 + 2000)
        self.pull_events()  # the completion event
        return tid

    def run(self, tid: str, generation: str, text: str, duration_ms: int = 200_000) -> None:
        """A run of `generation` claimed (a fresh document, as the transcriber's claim of a new
        generation writes it) and `text` stored by the store, to its end."""
        self.db.collection(TRANSCRIPTIONS).document(tid).delete()
        transcriber_doc(self.db, tid, generation, 1)
        for chunk in chunks_of(text, tid, generation, duration_ms=duration_ms):
            response = self.store.post(
                "/",
                json=chunk_event(chunk),
                headers={"Content-Type": "application/cloudevents+json"},
            )
            assert response.status_code == 200
        assert self.doc(tid)["status"] == "completed"

    def carry(self, event: bytes) -> int:
        """Deliver a completion event to the carry-over, as its Eventarc trigger would."""
        response = self.carrier.post(
            "/",
            json=chunk_event(event),
            headers={"Content-Type": "application/cloudevents+json"},
        )
        return int(response.status_code)

    def doc(self, tid: str) -> dict[str, Any]:
        return self.db.collection(TRANSCRIPTIONS).document(tid).get().to_dict() or {}

    def segments(self, tid: str) -> list[dict[str, Any]]:
        pages = self.db.collection(TRANSCRIPTIONS).document(tid).collection("pages")
        return [s for page in pages.order_by("index").stream() for s in page.get("segments")]

    def history(self, tid: str) -> list[dict[str, Any]]:
        entries = self.db.collection(TRANSCRIPTIONS).document(tid).collection("history")
        return [e.to_dict() for e in entries.order_by("seq").stream()]

    def export(self, tid: str, kind: str) -> str:
        name = {"vtt": "transcript.vtt", "srt": "transcript.srt", "json": "transcript.json"}[kind]
        return str(self.bucket.blob(f"results/{tid}/{name}").download_as_text())

    def pull_events(self) -> list[CompletionEvent]:
        return [CompletionEvent.model_validate_json(data) for data in self.pull_raw()]

    def pull_raw(self) -> list[bytes]:
        """The events published so far (acknowledged), as published."""
        return pull_acknowledged(self.subscriber, self.events)


@pytest.fixture
def corrections(
    firestore_db: firestore.Client,
    auth: Service,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Corrections]:
    env = {
        **auth.env,
        "TABSCRIBE_RESULTS_BUCKET": f"results-{unique}",
        "TABSCRIBE_EVENTS_TOPIC": f"events-{unique}",
        "TABSCRIBE_UPLOAD_ORIGINS": json.dumps([ORIGIN]),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    bucket = storage.Client(project=PROJECT).create_bucket(f"results-{unique}")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/events-{unique}").name
    events = subscriber.create_subscription(
        name=f"projects/{PROJECT}/subscriptions/events-{unique}", topic=topic
    ).name
    main = str(ROOT / "main.py")
    yield Corrections(
        create_app(target="correct_transcription", source=main).test_client(),
        create_app(target="store_transcription", source=main).test_client(),
        create_app(target="carry_corrections", source=main).test_client(),
        firestore_db,
        bucket,
        subscriber,
        events,
        auth.host_port,
    )
    get_settings.cache_clear()
