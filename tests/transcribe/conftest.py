"""The transcriber's test stack: the Cloud Storage, Pub/Sub and Firestore emulators, the Gemini API
stand-in (real google-genai SDK), and the function served by functions-framework.

A test runs in one Gemini mode, `ONE_MODE`; a test about what differs between Vertex AI and the
Developer API (how the media is named, gs:// or a Files API upload; the API version and the
auth, which the strict stand-in checks on every call; mode-only settings like `audioTimestamp`)
runs in both, marked `@BOTH_MODES`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app

import standin
from functions.core import clients
from functions.core.documents import transcription_id
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.transcribe import gemini
from stack.events import object_resource, storage_event
from tests.conftest import PROJECT
from tests.paths import ROOT

MEDIA = ROOT / "tests" / "data" / "media"
# The Developer API's path names the media by a Files API upload, reused and deleted: Vertex's
# gs:// name is the simpler path, and the local stack's end-to-end tests run on Vertex.
ONE_MODE = "developer"
BOTH_MODES = pytest.mark.parametrize("stack", ["vertex", "developer"], indirect=True)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[standin.StandIn]:
    with standin.start(port=0, token_rate=0, chunk_chars=97) as server:
        yield server


@dataclass
class Stack:
    mode: str
    app: Any
    bucket: Any
    subscription: str
    stand_in: standin.StandIn

    def upload(
        self, local: str, name: str, content_type: str, metadata: dict[str, str] | None = None
    ) -> Any:
        blob = self.bucket.blob(name)
        blob.metadata = metadata
        blob.upload_from_filename(str(MEDIA / local), content_type=content_type)
        return self.bucket.get_blob(name)

    def deliver(self, blob: Any, event_id: str | None = None, age_s: float = 0) -> int:
        time_ = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
        headers, body = storage_event(object_resource(blob), event_id, time_)
        return int(self.app.post("/", headers=headers, json=body).status_code)

    def results(self, expect_final: int = 1, timeout: float = 20.0) -> list[ResultChunk]:
        """Pull every chunk published until `expect_final` final chunks have arrived."""
        chunks: list[ResultChunk] = []
        deadline = time.monotonic() + timeout
        while sum(c.final for c in chunks) < expect_final and time.monotonic() < deadline:
            chunks += [ResultChunk.model_validate_json(m.data) for m in pull(self.subscription)]
        return sorted(chunks, key=lambda c: (c.generation, c.attempt, c.seq))

    def model_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.stand_in.calls() if c.get("method") != "countTokens"]


def media_bytes(local: str) -> bytes:
    return (MEDIA / local).read_bytes()


def clip_function(monkeypatch: pytest.MonkeyPatch, unique: str, **env: str) -> tuple[Any, str]:
    """A clips topic of its own with a pull subscription (what the transcriber publishes on it),
    and the clip function served with `env` settings: (test client, subscription)."""
    topic = clients.publisher().create_topic(name=f"projects/{PROJECT}/topics/clips-{unique}")
    subscription = f"projects/{PROJECT}/subscriptions/clips-{unique}"
    subscriber().create_subscription(name=subscription, topic=topic.name)
    for name, value in {"TABSCRIBE_CLIPS_TOPIC": f"clips-{unique}", **env}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    app = create_app(target="transcribe_clip", source=str(ROOT / "main.py")).test_client()
    return app, subscription


def subscriber() -> Any:
    from google.cloud import pubsub_v1

    return pubsub_v1.SubscriberClient()


def pull(subscription: str) -> list[Any]:
    """The messages on `subscription` now, acknowledged. A function publishes before it returns,
    so what an invocation that returned published is there; the emulator answers an empty pull
    with a 2 s deadline in about a second (with 5 s, in 4)."""
    pubsub = subscriber()
    received = pubsub.pull(subscription=subscription, max_messages=100, timeout=2).received_messages
    if received:
        pubsub.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in received])
    return [m.message for m in received]


@pytest.fixture
def stack(
    request: pytest.FixtureRequest,
    emulators: Any,
    stand_in: standin.StandIn,
    monkeypatch: pytest.MonkeyPatch,
    unique: str,
) -> Stack:
    bucket = clients.storage_client().create_bucket(f"uploads-{unique}")
    topic = clients.publisher().create_topic(name=f"projects/{PROJECT}/topics/results-{unique}")
    subscription = f"projects/{PROJECT}/subscriptions/results-{unique}"
    subscriber().create_subscription(name=subscription, topic=topic.name)
    mode: str = getattr(request, "param", ONE_MODE)
    env = {
        "TABSCRIBE_GEMINI_MODE": mode,
        "GEMINI_API_KEY": "test-key",
        "TABSCRIBE_GEMINI_BASE_URL": stand_in.url,
        "TABSCRIBE_RESULTS_TOPIC": f"results-{unique}",
        "TABSCRIBE_FLUSH_ROWS": "4",
        "TABSCRIBE_CONTINUATIONS": "0",  # one request per run; test_continuation.py turns it on
        # no daily caps: the session's tests upload hours of media as a few users (the count
        # still runs); test_caps.py sets them
        "TABSCRIBE_CAP_USER_MEDIA_H": "0",
        "TABSCRIBE_CAP_USER_USD": "0",
        "TABSCRIBE_CAP_PROJECT_USD": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    gemini._client.cache_clear()
    stand_in.reset()
    app = create_app(target="transcribe_upload", source=str(ROOT / "main.py")).test_client()
    return Stack(mode, app, bucket, subscription, stand_in)


def transcription_doc(blob: Any) -> dict[str, Any]:
    db = clients.firestore_client()
    tid = transcription_id(blob.bucket.name, blob.name)
    return db.collection("transcriptions").document(tid).get().to_dict() or {}


def ask_voices(blob: Any, asked: int = 2) -> None:
    """Record on the document that the store asked the voices pass, as it does once it has
    published the task: before that, the transcriber has the task redelivered."""
    db = clients.firestore_client()
    tid = transcription_id(blob.bucket.name, blob.name)
    ask = {"asked": asked, "unconfirmed": list(range(1, asked + 1))}
    db.collection("transcriptions").document(tid).update({"clips.voices": ask})
