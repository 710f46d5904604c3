"""The enrichment room's test stack: a transcription completed by the store itself (its chunks
delivered to functions-framework, so the pages are real), the enrichment asked on it as the store
records it (decision 0026), the Firestore, Pub/Sub and Cloud Storage emulators (a results bucket,
an events subscription), and the Gemini stand-in in-process, which answers the enrichments'
requests from what the test registers for the stored rows: each row's French (`FR:` and the
text), chapters and a summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore, pubsub_v1, storage

import standin
from functions.core import tasks
from functions.core.catalog import catalog
from functions.core.documents import TRANSCRIPTIONS
from functions.core.events import EnrichedEvent
from functions.core.messages import EnrichTask
from functions.core.settings import Settings, get_settings
from functions.enrich import handler
from functions.enrich.record import Job
from tests.conftest import PROJECT
from tests.paths import ROOT
from tests.pulled import pull_acknowledged
from tests.store.conftest import transcriber_doc
from tests.store.support import chunks_of, cloud_event, model_output, new_id

GENERATION = "1700000000000001"
CHAPTERS = [
    {"start_s": 0, "title": "Opening"},
    {"start_s": 40, "title": "The problem"},
    {"start_s": 5940, "title": "After the end"},  # past the media's end: dropped
]
SUMMARY = "Person 1 and Person 2 discuss the problem."


@pytest.fixture(scope="module")
def stand_in() -> Iterator[standin.StandIn]:
    with standin.start(port=0, token_rate=0, chunk_chars=97) as running:
        yield running


@dataclass
class Room:
    db: firestore.Client
    store: Any
    bucket: storage.Bucket
    subscriber: pubsub_v1.SubscriberClient
    events: str
    stand_in: standin.StandIn
    unique: str

    @property
    def settings(self) -> Settings:
        return get_settings()

    def completed(self, segments: int = 30, asked: tuple[str, ...] = ("translation_fr",)) -> str:
        """A transcription the store completed (`segments` rows by three voices), the
        enrichments `asked` recorded `processing` as the store records them."""
        tid = new_id(self.unique)
        transcriber_doc(self.db, tid, GENERATION, 1)
        text = model_output(segments, 3)
        for chunk in chunks_of(text, tid, GENERATION, duration_ms=segments * 4000 + 2000):
            response = self.store.post(
                "/",
                json=cloud_event(chunk),
                headers={"Content-Type": "application/cloudevents+json"},
            )
            assert response.status_code == 200
        run = {"generation": GENERATION, "attempt": 1}
        asked_at = dt.datetime.now(dt.UTC)
        self.ref(tid).update(
            {
                "model": catalog().default,  # the transcriber records a served model
                "asked_enrichments": sorted(asked),
                **{
                    f"enrichments.{name}": {
                        "kind": "chapters" if name == "chapters" else "translation",
                        "lang": None if name == "chapters" else name.split("_")[1],
                        "status": "processing",
                        "run": run,
                        "asked_at": asked_at,
                    }
                    for name in asked
                },
            }
        )
        assert self.doc(tid)["status"] == "completed"
        self.pull_events()  # the completion event
        self.author(tid)
        return tid

    def author(self, tid: str) -> None:
        """The stand-in's authored answers for the stored transcript's rows."""
        doc = self.doc(tid)
        rows = [
            {"start_ms": s["start_ms"], "voice": s["voice"], "text": s["text"]}
            for page in self.pages(self.ref(tid))
            for s in page["segments"]
        ]
        fields = ("voice", "name", "company", "position", "role", "evidence_ms")
        self.stand_in.register(
            rows=rows,
            speakers=[{k: s.get(k) for k in fields} for s in doc["speakers"]],
            media=tid.encode(),
            duration_s=doc["duration_ms"] / 1000,
            name=tid,
            translations={"fr": [f"FR:{row['text']}" for row in rows]},
            chapters=CHAPTERS,
            summary=SUMMARY,
        )

    def task(self, tid: str, name: str = "translation_fr", attempt: int = 1) -> EnrichTask:
        """The task the store publishes for enrichment `name`; of run attempt `attempt`."""
        return tasks.enrich_task(tid, self.doc(tid), name).model_copy(update={"attempt": attempt})

    def steps(self, task: EnrichTask, message_id: str = "m1") -> str:
        """`handle_enrichment` after its task checks (`tasks.not_asked`, `tasks.ended`): claim,
        then work."""
        claim = handler.take(self.db, message_id, task, self.settings)
        if claim is None:
            return handler.Outcome.SKIPPED
        doc = self.doc(task.transcription_id)
        return handler.enrich(Job(self.db, self.settings, task, claim, doc))

    def ref(self, tid: str) -> firestore.DocumentReference:
        return self.db.collection(TRANSCRIPTIONS).document(tid)

    def doc(self, tid: str) -> dict[str, Any]:
        return self.ref(tid).get().to_dict() or {}

    def pages(self, ref: firestore.DocumentReference) -> list[dict[str, Any]]:
        snapshots = ref.collection("pages").order_by("index").stream()
        return [{"id": s.id, **(s.to_dict() or {})} for s in snapshots]

    def translation(self, tid: str, lang: str = "fr") -> firestore.DocumentReference:
        return self.ref(tid).collection("translations").document(lang)

    def export(self, tid: str, filename: str) -> str:
        return str(self.bucket.blob(f"results/{tid}/{filename}").download_as_text())

    def pull_events(self) -> list[bytes]:
        """The events published so far (acknowledged), as published."""
        return pull_acknowledged(self.subscriber, self.events)

    def enriched(self) -> list[EnrichedEvent]:
        return [EnrichedEvent.model_validate_json(data) for data in self.pull_events()]

    def model_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.stand_in.calls() if c.get("method") != "countTokens"]


@pytest.fixture
def room(
    firestore_db: firestore.Client,
    stand_in: standin.StandIn,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Room]:
    env = {
        "TABSCRIBE_RESULTS_BUCKET": f"results-{unique}",
        "TABSCRIBE_EVENTS_TOPIC": f"events-{unique}",
        "TABSCRIBE_GEMINI_MODE": "vertex",
        "TABSCRIBE_GEMINI_BASE_URL": stand_in.url,
        "TABSCRIBE_ENRICH_PART_ROWS": "100",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    stand_in.reset()
    stand_in.configure(translation_fault=None)
    bucket = storage.Client(project=PROJECT).create_bucket(f"results-{unique}")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/events-{unique}").name
    events = subscriber.create_subscription(
        name=f"projects/{PROJECT}/subscriptions/events-{unique}", topic=topic
    ).name
    store = create_app(target="store_transcription", source=str(ROOT / "main.py")).test_client()
    yield Room(firestore_db, store, bucket, subscriber, events, stand_in, unique)
    get_settings.cache_clear()
