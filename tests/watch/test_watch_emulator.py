"""The watchdog against the real Firestore, Pub/Sub and Cloud Storage emulators, through its
functions-framework entry points (and the store's, for a run that really lost a chunk)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore, pubsub_v1, storage

from functions.core import tasks
from functions.core.documents import CLIPS, TRANSCRIPTIONS, clip_doc_id, transcription_id
from functions.core.events import CompletionEvent, EnrichedEvent
from functions.core.messages import ClipTag, ClipTask, EnrichTask, ResultChunk, VoicesTask
from functions.core.settings import get_settings
from functions.format.voices import Snippet
from functions.watch import dead_letter, ending, sweep
from tests.store.support import chunks_of, cloud_event, model_output, push_body

pytestmark = pytest.mark.emulator
PROJECT = "tabscribe-test"
GEN = "1700000000000001"
# "now" for the sweep: a minute ahead, so a write made during a test is not yet stalled
NOW = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)


@dataclass
class Watch:
    db: firestore.Client
    bucket: storage.Bucket
    subscriber: pubsub_v1.SubscriberClient
    events: str
    redrives: str
    results: str

    def pull(self, subscription: str, expect: int = 1) -> list[Any]:
        messages: list[Any] = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            response = self.subscriber.pull(subscription=subscription, max_messages=10, timeout=2)
            messages += [m.message for m in response.received_messages]
            if response.received_messages:
                self.subscriber.acknowledge(
                    subscription=subscription,
                    ack_ids=[m.ack_id for m in response.received_messages],
                )
            elif len(messages) >= expect:
                break
        return messages

    def events_of(self, expect: int = 1) -> list[CompletionEvent]:
        return [CompletionEvent.model_validate_json(m.data) for m in self.pull(self.events, expect)]

    def doc(self, tid: str) -> dict[str, Any]:
        return self.db.collection(TRANSCRIPTIONS).document(tid).get().to_dict() or {}


@pytest.fixture
def watch(
    firestore_db: firestore.Client, unique: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Watch]:
    for name, value in {
        "TABSCRIBE_EVENTS_TOPIC": f"events-{unique}",
        "TABSCRIBE_REDRIVE_TOPIC": f"redrive-{unique}",
        "TABSCRIBE_RESULTS_TOPIC": f"results-{unique}",
        "TABSCRIBE_RESULTS_BUCKET": f"results-{unique}",
        "TABSCRIBE_STALL_S": "600",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    bucket = storage.Client(project=PROJECT).create_bucket(f"uploads-{unique}")
    storage.Client(project=PROJECT).create_bucket(f"results-{unique}")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    subscriptions = []
    for kind in ("events", "redrive", "results"):
        topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/{kind}-{unique}").name
        subscriptions.append(
            subscriber.create_subscription(
                name=f"projects/{PROJECT}/subscriptions/{kind}-{unique}", topic=topic
            ).name
        )
    yield Watch(firestore_db, bucket, subscriber, *subscriptions)
    get_settings.cache_clear()


def claimed(watch: Watch, name: str, attempt: int = 1, generation: str = GEN, **fields: Any) -> str:
    """A document as the transcriber leaves it while a run is under way (long ago)."""
    tid = transcription_id(watch.bucket.name, name)
    long_ago = NOW - dt.timedelta(days=1)
    watch.db.collection(TRANSCRIPTIONS).document(tid).set(
        {
            "source": {"bucket": watch.bucket.name, "name": name, "generation": generation},
            "owner": "user-1",
            "status": "processing",
            "run": {"generation": generation, "attempt": attempt},
            "lease": {"holder": "evt#1", "expires_at": long_ago},
            "updated_at": long_ago,
            **fields,
        }
    )
    return tid


def dead_letter_event(body: dict[str, Any]) -> dict[str, Any]:
    """The structured CloudEvent of a message on the dead-letter topic."""
    return {
        "specversion": "1.0",
        "id": body["message"]["messageId"],
        "source": "//pubsub.googleapis.com/projects/tabscribe-test/topics/tabscribe-dead-letter",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "datacontenttype": "application/json",
        "data": body,
    }


def test_a_lost_chunk_fails_its_run_naming_the_chunk_and_publishes_the_event(
    watch: Watch, unique: str
) -> None:
    name = f"uploads/user-1/{unique}.mp4"
    tid = claimed(watch, name)
    store = create_app(target="store_transcription", source="main.py").test_client()
    chunks = chunks_of(model_output(100), tid, GEN, rows=25)  # 0..3 and the final 4
    for chunk in chunks[:1] + chunks[2:]:  # chunk 1 never makes it: its successors wait
        store.post(
            "/", json=cloud_event(chunk), headers={"Content-Type": "application/cloudevents+json"}
        )
    assert watch.doc(tid)["status"] == "processing"
    lost = push_body(chunks[1], message_id="m-1")
    lost["message"]["attributes"][dead_letter.DELIVERIES] = "5"

    http = create_app(target="watch_dead_letter", source="main.py").test_client()
    response = http.post(
        "/", json=dead_letter_event(lost), headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 200
    doc = watch.doc(tid)
    assert doc["status"] == "failed" and doc["ended_by"] == "dead-letter"
    assert "results chunk 1 of run" in doc["reason"] and "after 5 deliveries" in doc["reason"]
    assert doc["event"]["published"] is True
    [event] = watch.events_of()
    assert event.type == "dev.tabscribe.transcription.failed" and event.id == f"{tid}-{GEN}-1"
    assert event.data.status == "failed" and event.data.reason == doc["reason"]
    assert event.data.counts.segments == 25  # what was stored before the gap

    # a chunk the store holds after all (its delivery failed after the commit) is not lost
    for stored in (chunks[0], chunks[3]):  # applied, and buffered in `pending`
        assert dead_letter.handle(push_body(stored)) == "terminal"  # (the run is over anyway)
    # a redelivery of the dead letter changes nothing and publishes nothing more
    http.post(
        "/", json=dead_letter_event(lost), headers={"Content-Type": "application/cloudevents+json"}
    )
    assert watch.doc(tid)["reason"] == doc["reason"] and watch.events_of(expect=0) == []


def test_a_dead_letter_of_an_older_run_or_a_terminal_document_changes_nothing(
    watch: Watch, unique: str
) -> None:
    tid = claimed(watch, f"uploads/user-1/{unique}.mp4", attempt=2)
    [old] = chunks_of("", tid, GEN, attempt=1)[:1]
    assert dead_letter.handle(push_body(old)) == "superseded"
    assert watch.doc(tid)["status"] == "processing"
    watch.db.collection(TRANSCRIPTIONS).document(tid).update({"status": "completed"})
    [current] = chunks_of("", tid, GEN, attempt=2)[:1]
    assert dead_letter.handle(push_body(current)) == "terminal"
    assert watch.doc(tid)["status"] == "completed" and watch.events_of(expect=0) == []


def test_a_poison_dead_letter_is_logged_in_one_line_and_acknowledged(
    watch: Watch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = push_body(b'{"not": "a chunk"}')
    http = create_app(target="watch_dead_letter", source="main.py").test_client()
    response = http.post(
        "/", json=dead_letter_event(body), headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 200
    lines = [line for line in capsys.readouterr().out.splitlines() if "dead letter" in line]
    assert len(lines) == 1 and json.loads(lines[0])["severity"] == "WARNING"
    assert "Traceback" not in capsys.readouterr().err


def test_the_sweep_redrives_once_then_fails(watch: Watch, unique: str) -> None:
    name = f"uploads/user-1/{unique}.mp4"
    blob = watch.bucket.blob(name)
    blob.metadata = {"title": "Weekly"}
    blob.upload_from_string(b"\x00" * 64, content_type="video/mp4")
    tid = claimed(watch, name, generation=str(blob.generation))

    assert sweep.sweep(get_settings(), NOW) == {tid: "redriven"}
    doc = watch.doc(tid)
    assert doc["status"] == "processing" and doc["redriven"]["generation"] == str(blob.generation)
    [message] = watch.pull(watch.redrives)
    data = json.loads(message.data)
    assert (data["bucket"], data["name"], data["generation"]) == (
        watch.bucket.name,
        name,
        str(blob.generation),
    )
    assert data["metadata"] == {"title": "Weekly"} and data["contentType"] == "video/mp4"

    assert sweep.sweep(get_settings(), NOW) == {}  # the re-drive wrote: not stalled yet
    later = NOW + dt.timedelta(days=2)
    assert sweep.sweep(get_settings(), later) == {tid: "failed"}
    doc = watch.doc(tid)
    assert doc["status"] == "failed" and "after one re-drive" in doc["reason"]
    assert [e.type for e in watch.events_of()] == ["dev.tabscribe.transcription.failed"]
    assert watch.pull(watch.redrives, expect=0) == []  # re-driven once only


def test_the_sweep_fails_what_cannot_be_redriven_and_leaves_live_runs_alone(
    watch: Watch, unique: str
) -> None:
    gone = claimed(watch, f"uploads/user-1/{unique}-gone.mp4")
    published = claimed(watch, f"uploads/user-1/{unique}-out.mp4", finished_runs={f"g{GEN}a1": NOW})
    live = claimed(
        watch,
        f"uploads/user-1/{unique}-live.mp4",
        lease={"holder": "evt#2", "expires_at": NOW + dt.timedelta(seconds=30)},
    )
    recent = claimed(watch, f"uploads/user-1/{unique}-recent.mp4", updated_at=NOW)
    retrying = claimed(  # published an hour ago: Pub/Sub may still be retrying its chunks
        watch,
        f"uploads/user-1/{unique}-retrying.mp4",
        finished_runs={f"g{GEN}a1": NOW},
        updated_at=NOW - dt.timedelta(hours=1),
    )

    done = sweep.sweep(get_settings(), NOW)
    assert done == {gone: "failed", published: "failed"}
    assert "no longer exists" in watch.doc(gone)["reason"]
    assert "published but never completely stored" in watch.doc(published)["reason"]
    for untouched in (live, recent, retrying):
        assert watch.doc(untouched)["status"] == "processing"
    assert len(watch.events_of(expect=2)) == 2


def test_the_sweep_entry_point_takes_a_scheduler_tick(watch: Watch, unique: str) -> None:
    tid = claimed(watch, f"uploads/user-1/{unique}.mp4")
    http = create_app(target="watch_sweep", source="main.py").test_client()
    tick = dead_letter_event(push_body(b"{}", message_id="tick-1"))
    response = http.post("/", json=tick, headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code == 200
    assert watch.doc(tid)["status"] == "failed"  # (real now: the lease expired long ago)


def test_a_dead_letter_of_a_chunk_the_store_holds_fails_nothing(watch: Watch, unique: str) -> None:
    tid = claimed(watch, f"uploads/user-1/{unique}.mp4")
    store = create_app(target="store_transcription", source="main.py").test_client()
    chunks = chunks_of(model_output(100), tid, GEN, rows=25)
    for chunk in (chunks[0], chunks[2]):  # 0 applied, 2 buffered: 1 is still on its way
        store.post(
            "/", json=cloud_event(chunk), headers={"Content-Type": "application/cloudevents+json"}
        )
    assert dead_letter.handle(push_body(chunks[0])) == "stored"
    assert dead_letter.handle(push_body(chunks[2])) == "stored"
    assert watch.doc(tid)["status"] == "processing" and watch.events_of(expect=0) == []
    assert dead_letter.handle(push_body(chunks[1])) == "failed"


def test_ending_a_run_twice_publishes_one_event(watch: Watch, unique: str) -> None:
    tid = claimed(watch, f"uploads/user-1/{unique}.mp4")
    run = ending.RunRef(GEN, 1)
    assert ending.fail_run(tid, run, "first", by="test") == "failed"
    assert ending.fail_run(tid, run, "second", by="test") == "terminal"
    assert watch.doc(tid)["reason"] == "first" and len(watch.events_of()) == 1


def test_the_store_own_unpublished_event_is_left_to_the_store(watch: Watch, unique: str) -> None:
    tid = claimed(watch, f"uploads/user-1/{unique}.mp4")
    store_event = {"id": f"{tid}-{GEN}-1", "type": "completed", "published": False}
    watch.db.collection(TRANSCRIPTIONS).document(tid).update(
        {"status": "completed", "event": store_event}  # committed; the store publishes next
    )
    assert ending.fail_run(tid, ending.RunRef(GEN, 1), "late", by="test") == "terminal"
    assert watch.doc(tid)["event"] == store_event and watch.events_of(expect=0) == []


def clip_run(watch: Watch, name: str, count: int = 4, **fields: Any) -> list[ClipTask]:
    """A document as a run that fanned out into `count` clips leaves it, and its clip tasks."""
    source = {"bucket": watch.bucket.name, "name": name, "generation": GEN}
    source |= {"content_type": "video/webm", "size": 1000}
    tid = claimed(watch, name, source=source, **fields)
    planned = [
        ClipTask(
            transcription_id=tid,
            **source,
            attempt=1,
            index=index,
            clips=count,
            start_ms=index * 100_000,
            end_ms=(index + 1) * 100_000 + 10_000,
            plan={"model": "gemini-2.5-flash", "start_s": index * 100.0},
            prompt=f"Transcribe clip {index}.",
        )
        for index in range(count)
    ]
    ranges = [{"index": t.index, "start_ms": t.start_ms, "end_ms": t.end_ms} for t in planned]
    hashes = [tasks.recorded(t.plan, t.prompt) for t in planned]
    clips = {"count": count, "ranges": ranges, "hashes": hashes, **fields.pop("clips", {})}
    watch.db.collection(TRANSCRIPTIONS).document(tid).update({"clips": clips})
    return planned


def dead(message: ClipTask | VoicesTask | bytes, message_id: str, **attributes: str) -> Any:
    body = push_body(message, message_id=message_id)
    body["message"]["attributes"] |= {**attributes, dead_letter.DELIVERIES: "5"}
    return body


def test_a_dead_lettered_clip_task_ends_only_its_clip(watch: Watch, unique: str) -> None:
    """Its final chunk goes to the store as the transcriber would send it (`failed`, no text):
    under a claim made for it if it never had one, at the seq the store expects next."""
    planned = clip_run(watch, f"uploads/user-1/{unique}.webm")
    tid = planned[0].transcription_id
    clip_docs = watch.db.collection(TRANSCRIPTIONS).document(tid).collection(CLIPS)
    clip_docs.document(clip_doc_id(GEN, 1, 3)).set(
        {"run": {"generation": GEN, "attempt": 2}, "store": {"attempt": 2, "next_seq": 3}}
    )
    for index in (2, 3):
        assert dead_letter.handle(dead(planned[index], f"t-{index}")) == "ended"
    chunks = sorted(
        (ResultChunk.model_validate_json(m.data) for m in watch.pull(watch.results, expect=2)),
        key=lambda c: c.clip.index if c.clip else -1,
    )
    assert [(c.clip, c.seq, c.final, c.outcome, c.text) for c in chunks] == [
        (ClipTag(index=2, attempt=1), 0, True, "failed", ""),
        (ClipTag(index=3, attempt=2), 3, True, "failed", ""),
    ]
    assert "could not be transcribed after 5 deliveries" in (chunks[0].reason or "")
    assert clip_docs.document(clip_doc_id(GEN, 1, 2)).get().to_dict() == {
        "run": {"generation": GEN, "attempt": 1}
    }
    assert watch.doc(tid)["status"] == "processing"  # the store completes it, with the gap


def test_a_dead_lettered_clip_of_a_superseded_run_publishes_nothing(
    watch: Watch, unique: str
) -> None:
    planned = clip_run(watch, f"uploads/user-1/{unique}.webm", attempt=2)
    assert dead_letter.handle(dead(planned[0], "old")) == "superseded"
    assert watch.pull(watch.results, expect=0) == []


def everything(watch: Watch, tid: str) -> dict[str, Any]:
    ref = watch.db.collection(TRANSCRIPTIONS).document(tid)
    return {
        "doc": watch.doc(tid),
        "clips": {s.id: s.to_dict() for s in ref.collection(CLIPS).stream()},
    }


def test_poison_with_a_healthy_runs_attributes_changes_nothing(
    watch: Watch, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue: a poison body carrying a healthy run's attributes ended it `failed` at 41 of 218
    rows; with the voices slot's, it recorded a failed voices pass. Only a message that is
    provably the run's ends anything: each of these is poison, logged, and changes nothing."""
    tid = claimed(watch, f"uploads/user-1/{unique}.mp4")
    run = {"transcription_id": tid, "generation": GEN, "attempt": "1"}
    [chunk] = chunks_of("", tid, GEN)[:1]
    planned = clip_run(watch, f"uploads/user-1/{unique}-long.webm", clips={"voices": {"asked": 2}})
    long = {**run, "transcription_id": planned[0].transcription_id}
    voices = VoicesTask(
        **planned[0].model_dump(include={"transcription_id", "bucket", "name", "generation"}),
        attempt=1,
        clips=4,
        content_type="video/webm",
        size=1000,
        plan=planned[0].plan,
        snippets=[
            Snippet(voice=v, start_ms=v * 999, end_ms=v * 999 + 500, text="Hi.") for v in (1, 2)
        ],
    )
    before = [everything(watch, t) for t in (tid, long["transcription_id"])]
    poison = [
        dead(b"{not json", "p-1", **run, seq="3"),  # the issue's own
        dead(b"{not json", "p-2", **long, clip="4", task="voices"),  # the voices slot's
        dead(b"{not json", "p-3", **long, clip="1"),  # a clip task's
        dead(b"{}", "p-4", **long, task="continue"),
        dead(chunk.model_dump_json().encode(), "p-5", **run, seq="9"),  # attributes differ
        dead(planned[1], "p-6", clip="2"),
        dead(planned[1].model_copy(update={"index": 500, "clips": 501}), "p-7"),
        dead(planned[1].model_copy(update={"prompt": "Say something else."}), "p-8"),
        dead(voices.model_copy(update={"name": "uploads/user-2/private.webm"}), "p-9"),
        dead(b"{}", "p-10", **run, task="enrich"),
    ]
    assert [dead_letter.handle(body) for body in poison] == ["poison"] * len(poison)
    assert [everything(watch, t) for t in (tid, long["transcription_id"])] == before
    assert watch.pull(watch.results, expect=0) == [] and watch.events_of(expect=0) == []
    logged = [r for r in caplog.records if getattr(r, "poison", None)]
    assert len(logged) == len(poison) and {r.poison for r in logged} == {"dead_letter"}  # type: ignore[attr-defined]
    assert {r.levelname for r in logged} == {"WARNING"}
    # the genuine voices task, dead-lettered, still ends the pass (clip 4): provably the run's
    assert dead_letter.handle(dead(voices, "genuine")) == "ended"


def enriched(watch: Watch, name: str, asked_at: dt.datetime = NOW - dt.timedelta(days=1)) -> str:
    """A completed transcription whose run asked for French and the chapters (decision 0026)."""
    source = {"bucket": watch.bucket.name, "name": name, "generation": GEN}
    source |= {"content_type": "video/mp4", "size": 1000}
    run = {"generation": GEN, "attempt": 1}
    asked = {"status": "processing", "run": run, "asked_at": asked_at}
    return claimed(
        watch,
        name,
        source=source,
        status="completed",
        lease=None,
        enrichments={
            "translation_fr": {"kind": "translation", "lang": "fr", **asked},
            "chapters": {"kind": "chapters", "lang": None, **asked},
        },
    )


def enrich_task(tid: str, watch: Watch, name: str = "translation_fr") -> EnrichTask:
    return tasks.enrich_task(tid, watch.doc(tid), name)


def test_a_dead_lettered_enrich_task_fails_only_its_enrichment(watch: Watch, unique: str) -> None:
    tid = enriched(watch, f"uploads/user-1/{unique}.mp4")
    task = enrich_task(tid, watch)
    assert dead_letter.handle(dead(task, "e-1")) == "failed"  # type: ignore[arg-type]
    doc = watch.doc(tid)
    assert doc["status"] == "completed" and "reason" not in doc  # the transcription is untouched
    french = doc["enrichments"]["translation_fr"]
    assert french["status"] == "failed" and french["ended_by"] == "dead-letter"
    assert french["reason"] == "its task could not be run after 5 deliveries (dead-lettered)"
    assert doc["enrichments"]["chapters"]["status"] == "processing"
    [event] = [EnrichedEvent.model_validate_json(m.data) for m in watch.pull(watch.events)]
    assert event.type == "dev.tabscribe.transcription.enriched"
    assert (event.data.enrichment, event.data.kind, event.data.lang) == (
        "translation_fr",
        "translation",
        "fr",
    )
    assert (event.data.status, event.data.reason) == ("failed", french["reason"])
    assert dead_letter.handle(dead(task, "e-2")) == "ended"  # its run's, already ended
    assert watch.doc(tid)["enrichments"]["translation_fr"]["reason"] == french["reason"]
    assert watch.pull(watch.events, expect=0) == []  # announced once


def test_a_poison_enrich_dead_letter_changes_nothing(watch: Watch, unique: str) -> None:
    tid = enriched(watch, f"uploads/user-1/{unique}.mp4")
    before = watch.doc(tid)
    german = enrich_task(tid, watch, "translation_de")  # never asked
    mislabelled = dead(enrich_task(tid, watch), "p-2", enrichment="chapters")  # type: ignore[arg-type]
    assert dead_letter.handle(dead(german, "p-1")) == "poison"  # type: ignore[arg-type]
    assert dead_letter.handle(mislabelled) == "poison"
    assert watch.doc(tid) == before


def test_the_sweep_redrives_a_stalled_enrichment_once_then_fails_it(
    watch: Watch, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = pubsub_v1.PublisherClient().create_topic(
        name=f"projects/{PROJECT}/topics/clips-{unique}"
    )
    clips = f"projects/{PROJECT}/subscriptions/clips-{unique}"
    watch.subscriber.create_subscription(name=clips, topic=topic.name)
    monkeypatch.setenv("TABSCRIBE_CLIPS_TOPIC", f"clips-{unique}")
    get_settings.cache_clear()
    tid = enriched(watch, f"uploads/user-1/{unique}.mp4")
    fresh = enriched(watch, f"uploads/user-1/{unique}-fresh.mp4", asked_at=NOW)
    leased = enriched(watch, f"uploads/user-1/{unique}-leased.mp4")
    claim = watch.db.collection(TRANSCRIPTIONS).document(leased).collection("enrichments")
    lease = {"holder": "m#1", "expires_at": NOW + dt.timedelta(minutes=5)}
    claim.document(f"{GEN}-1-chapters").set({"lease": lease})  # at work: left alone

    assert sweep.sweep(get_settings(), NOW) == {
        f"{tid}/chapters": "redriven",
        f"{tid}/translation_fr": "redriven",
        f"{leased}/translation_fr": "redriven",
    }
    redriven = sorted(
        (EnrichTask.model_validate_json(m.data) for m in watch.pull(clips, expect=3)),
        key=lambda t: (t.transcription_id, t.enrichment),
    )
    assert [(t.transcription_id, t.enrichment) for t in redriven if t.transcription_id == tid] == [
        (tid, "chapters"),
        (tid, "translation_fr"),
    ]
    assert all(tasks.refusal(t, watch.doc(t.transcription_id)) is None for t in redriven)
    assert watch.doc(tid)["enrichments"]["chapters"]["redriven"]["at"] is not None

    assert sweep.sweep(get_settings(), NOW) == {}  # re-driven just now: not stalled yet
    later = NOW + dt.timedelta(days=2)
    assert sweep.sweep(get_settings(), later) == {
        f"{tid}/chapters": "failed",
        f"{tid}/translation_fr": "failed",
        f"{leased}/translation_fr": "failed",
        f"{leased}/chapters": "redriven",  # its lease has expired by then
        f"{fresh}/chapters": "redriven",
        f"{fresh}/translation_fr": "redriven",
    }
    doc = watch.doc(tid)
    assert doc["status"] == "completed"
    chapters = doc["enrichments"]["chapters"]
    assert chapters["status"] == "failed" and chapters["ended_by"] == "sweep"
    assert chapters["reason"] == "no progress for 900 s, after one re-drive"
    again = {EnrichTask.model_validate_json(m.data).transcription_id for m in watch.pull(clips, 3)}
    assert again == {leased, fresh}  # each re-driven once only
