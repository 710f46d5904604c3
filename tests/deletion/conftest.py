"""The deletion function's test stack: functions-framework, the Firebase Auth emulator's real ID
tokens, the Firestore, Pub/Sub and Cloud Storage emulators (an uploads and a results bucket, an
events topic with a pull subscription), and a transcription as the transcriber and store leave
it: its claim taken by the transcriber's own code, pages, live page, pending, clips (with their
pending), history, the media, exports, claim checks and the voices reel."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore, pubsub_v1, storage

from functions.core import clients
from functions.core.documents import DELETIONS, TRANSCRIPTIONS, clip_path, transcription_id
from functions.core.events import DeletedEvent
from functions.core.settings import get_settings
from functions.transcribe import claims
from stack.accounts import id_token
from stack.services import Service
from tests.conftest import PROJECT
from tests.paths import ROOT

ORIGIN = "http://127.0.0.1:8000"
MEDIA_NAME = "uploads/alice/talk.m4a"
RESULTS = (
    "transcript.vtt",
    "transcript.srt",
    "transcript.json",
    "transcript.fr.vtt",
    "voices-1",
    "chunks/1-1-00000.txt",
)


@dataclass
class Deletion:
    app: Any
    db: firestore.Client
    uploads: storage.Bucket
    results: storage.Bucket
    subscriber: pubsub_v1.SubscriberClient
    events: str
    auth_host: str
    tid: str
    generation: str

    def delete(self, token: str | None, body: Any = None, method: str = "POST") -> Any:
        headers = {"Origin": ORIGIN}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = {"transcription": self.tid} if body is None else body
        return self.app.open("/", method=method, headers=headers, json=body)

    def token(self, uid: str) -> str:
        return id_token(self.auth_host, uid)

    def firestore_paths(self) -> list[str]:
        """Every document under the transcription (at any depth), the document and tombstone."""
        ref = self.db.collection(TRANSCRIPTIONS).document(self.tid)
        return ([ref.path] if ref.get().exists else []) + _descendants(ref)

    def objects(self) -> list[str]:
        return [
            f"{blob.bucket.name}/{blob.name}"
            for bucket in (self.uploads, self.results)
            for blob in bucket.list_blobs(versions=True)
        ]

    def tombstone(self) -> dict[str, Any] | None:
        return self.db.collection(DELETIONS).document(self.tid).get().to_dict()

    def pull_events(self) -> list[DeletedEvent]:
        response = self.subscriber.pull(subscription=self.events, max_messages=10, timeout=5)
        if response.received_messages:
            ack_ids = [m.ack_id for m in response.received_messages]
            self.subscriber.acknowledge(subscription=self.events, ack_ids=ack_ids)
        return [
            DeletedEvent.model_validate_json(m.message.data) for m in response.received_messages
        ]


def _descendants(ref: Any) -> list[str]:
    return [
        path
        for collection in ref.collections()
        for doc in collection.list_documents()
        for path in ([doc.path] if doc.get().exists else []) + _descendants(doc)
    ]


@pytest.fixture
def deletion(
    firestore_db: firestore.Client,
    auth: Service,
    monkeypatch: pytest.MonkeyPatch,
    unique: str,
) -> Iterator[Deletion]:
    env = {
        **auth.env,
        "TABSCRIBE_UPLOAD_ORIGINS": json.dumps([ORIGIN]),
        "TABSCRIBE_RESULTS_BUCKET": f"results-{unique}",
        "TABSCRIBE_EVENTS_TOPIC": f"events-{unique}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    client = clients.storage_client()
    uploads, results = (client.create_bucket(f"{kind}-{unique}") for kind in ("uploads", "results"))
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/events-{unique}").name
    events = subscriber.create_subscription(
        name=f"projects/{PROJECT}/subscriptions/events-{unique}", topic=topic
    ).name
    tid, generation = _transcription(firestore_db, uploads, results)
    app = create_app(target="delete_transcription", source=str(ROOT / "main.py")).test_client()
    yield Deletion(
        app, firestore_db, uploads, results, subscriber, events, auth.host_port, tid, generation
    )
    get_settings.cache_clear()


def _transcription(
    db: firestore.Client, uploads: storage.Bucket, results: storage.Bucket
) -> tuple[str, str]:
    """A long upload's run in flight: claimed, with clips, pages and results written."""
    blob = uploads.blob(MEDIA_NAME)
    blob.upload_from_string(b"media bytes", content_type="audio/mp4")
    blob.reload()
    generation = str(blob.generation)
    tid = transcription_id(uploads.name, MEDIA_NAME)
    source = claims.Source(uploads.name, MEDIA_NAME, generation, "audio/mp4", 11, "alice")
    now = dt.datetime.now(dt.UTC)
    claim, _ = claims.claim(db, tid, source, claims.holder_token("event-1"), 60, now)
    assert claim is not None
    ref = db.collection(TRANSCRIPTIONS).document(tid)
    ref.update({"live_page": {"index": 1, "segments": []}, "clips": {"count": 2}})
    run = {"generation": generation, "attempt": 1}
    ref.collection("pages").document("0000").set({"index": 0, "owner": "alice", "run": run})
    ref.collection("pending").document(f"{generation}-1-3").set({"chunk": "{}"})
    ref.collection("history").document("1").set({"by": "alice"})
    french = ref.collection("translations").document("fr")  # an enrichment's (decision 0026)
    french.set({"lang": "fr", "owner": "alice", "run": run})
    french.collection("pages").document("0000").set({"index": 0, "owner": "alice", "run": run})
    ref.collection("enrichments").document(f"{generation}-1-translation_fr").set({"run": run})
    clip = db.document(clip_path(tid, generation, 1, 0))
    clip.set({"run": run})
    clip.collection("pending").document(f"{generation}-1-1").set({"chunk": "{}"})
    prefix = f"{get_settings().output_prefix}{tid}/"
    for name in RESULTS:
        results.blob(prefix + name).upload_from_string(b"x")
    return tid, generation
