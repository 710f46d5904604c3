"""The store against the real Firestore, Pub/Sub and Cloud Storage emulators, through the
functions-framework entry point with real CloudEvents and raw push bodies."""

from __future__ import annotations

import base64
import datetime as dt
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.cloud import firestore, pubsub_v1, storage

from functions.core.documents import TRANSCRIPTIONS
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.format.models import Issue
from functions.transcribe import claims
from functions.transcribe.claims import Source
from tests.store.conftest import PROJECT, Stack, transcriber_doc
from tests.store.support import (
    all_segments,
    chunks_of,
    model_output,
    new_id,
    push_body,
    snapshot,
)

pytestmark = pytest.mark.emulator


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


def _ordered_and_twin(stack: Stack, unique: str, text: str) -> tuple[str, str]:
    """Two claimed transcriptions of the same output: the first stored by one ordered delivery
    of its chunks (the reference), the second left for the test to deliver as it likes."""
    ordered_id, twin_id = new_id(unique + "a"), new_id(unique + "b")
    for tid in (ordered_id, twin_id):
        transcriber_doc(stack.db, tid, "1700000000000001", 1)
    for chunk in chunks_of(text, ordered_id, rows=20):
        assert stack.deliver(chunk) == 200
    return ordered_id, twin_id


def test_five_shuffled_deliveries_equal_one_ordered_delivery(stack: Stack, unique: str) -> None:
    text = model_output(450, voices=4, seed=7)
    ordered_id, shuffled_id = _ordered_and_twin(stack, unique, text)
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
    events = stack.pull_events(expect=2)
    assert sorted(e.id for e in events) == sorted(  # one per transcription, none repeated
        f"{tid}-1700000000000001-1" for tid in (ordered_id, shuffled_id)
    )


def test_concurrent_deliveries_equal_one_ordered_delivery(stack: Stack, unique: str) -> None:
    """Several instances handling chunks of one transcription at once (as a push subscription
    with many instances does): commits guarded by the document's state serialize them."""
    from functions.store.handler import handle

    text = model_output(300, voices=3, seed=11)
    ordered_id, concurrent_id = _ordered_and_twin(stack, unique, text)
    deliveries = chunks_of(text, concurrent_id, rows=20) * 3
    random.Random(4).shuffle(deliveries)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda chunk: _redelivered_until_acknowledged(handle, chunk), deliveries))
    ordered, concurrent = snapshot(stack.db, ordered_id), snapshot(stack.db, concurrent_id)
    assert _replace(concurrent, concurrent_id, ordered_id) == ordered
    assert len(all_segments(stack.db, concurrent_id)) == 300
    # at least once, with one id per run (docs/events.md): concurrent deliveries of the final
    # chunk may each publish before either records the publication
    events = stack.pull_events(expect=2)
    assert {e.id for e in events} == {
        f"{tid}-1700000000000001-1" for tid in (ordered_id, concurrent_id)
    }


def _redelivered_until_acknowledged(handle: Any, chunk: ResultChunk, attempts: int = 5) -> Any:
    """As the push subscription does: a delivery that fails (here, a commit that kept losing to
    the other instances) is delivered again, up to its maximum delivery attempts."""
    for attempt in range(1, attempts + 1):
        try:
            return handle(push_body(chunk))
        except RuntimeError:
            if attempt == attempts:
                raise
    return None


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {_replace(k, old, new): _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value


def _pages_match_run(stack: Stack, tid: str) -> None:
    state = snapshot(stack.db, tid)
    run = state["doc"].get("store", {}).get("run")
    assert all(page["run"] == run for page in state["pages"].values()), "pages of two runs"


def test_interleaved_runs_newer_wins_and_pages_never_mix(stack: Stack, unique: str) -> None:
    """Attempt 1 stores part of its output (pages included), then an in-process retry claims
    attempt 2 while the rest of attempt 1's chunks are still in flight."""
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "100", 1)
    old = chunks_of(model_output(300, voices=2, seed=1), tid, generation="100", rows=30)
    new = chunks_of(model_output(250, voices=3, seed=2), tid, generation="100", attempt=2, rows=30)
    for chunk in old[:7]:
        assert stack.deliver(chunk) == 200
    first = snapshot(stack.db, tid)["doc"]
    assert first["counts"]["pages"] == 1, "attempt 1 filled a page"
    assert first["live_page"]["run"] == {"generation": "100", "attempt": 1}
    stack.db.collection(TRANSCRIPTIONS).document(tid).update({"run.attempt": 2})  # the retry
    deliveries = old[7:] + new
    random.Random(5).shuffle(deliveries)
    for chunk in deliveries:
        assert stack.deliver(chunk) == 200
        _pages_match_run(stack, tid)
    final = snapshot(stack.db, tid)
    assert final["doc"]["store"]["run"] == {"generation": "100", "attempt": 2}
    assert final["doc"]["status"] == "completed" and final["doc"]["counts"]["segments"] == 250
    assert final["pending"] == [] and len(final["doc"]["speakers"]) == 3
    for chunk in old:  # late chunks of the old run change nothing
        assert stack.deliver(chunk) == 200
    assert snapshot(stack.db, tid) == final
    assert [e.id for e in stack.pull_events(expect=1)] == [f"{tid}-100-2"]


def _claim_overwrite(db: firestore.Client, tid: str, generation: str) -> None:
    """The transcriber's real claim of a new generation (it replaces the whole document)."""
    source = Source("bucket", "uploads/user-1/talk.mp4", generation, "video/mp4", 1234, "user-1")
    claim, why = claims.claim(db, tid, source, "evt-overwrite", 600, dt.datetime.now(dt.UTC))
    assert claim is not None and claim.attempt == 1, why


def test_a_claimed_newer_run_supersedes_every_chunk_of_the_older(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "200", 1)
    for chunk in chunks_of(model_output(450), tid, generation="200", rows=50):
        assert stack.deliver(chunk) == 200
    assert snapshot(stack.db, tid)["doc"]["status"] == "completed"
    assert len(snapshot(stack.db, tid)["pages"]) > 1
    _claim_overwrite(stack.db, tid, "300")
    before = snapshot(stack.db, tid)
    for chunk in chunks_of(model_output(90), tid, generation="200", attempt=5, rows=20):
        assert stack.deliver(chunk) == 200  # acknowledged, not applied
    assert snapshot(stack.db, tid) == before
    newer = chunks_of(model_output(30, seed=9), tid, generation="300", rows=10)
    assert stack.deliver(newer[1]) == 200  # early chunk of the new run: old pages go at once
    state = snapshot(stack.db, tid)
    assert state["pages"] == {} and state["pending"] == ["300-1-000001"]
    assert state["doc"]["status"] == "processing" and state["doc"]["event"] is None
    for chunk in newer:
        assert stack.deliver(chunk) == 200
    state = snapshot(stack.db, tid)
    assert state["doc"]["counts"]["segments"] == 30 and state["pending"] == []
    assert state["doc"]["owner"] == "user-1" and state["pages"]["0000"]["owner"] == "user-1"
    assert [e.id for e in stack.pull_events(expect=2)] == [f"{tid}-200-1", f"{tid}-300-1"]


def _store_directly(chunks: list[ResultChunk]) -> int:
    """Handle each chunk as the entry point would; the document writes it made."""
    from functions.store.handler import handle

    return sum(handle(push_body(chunk)).writes for chunk in chunks)


@pytest.mark.parametrize("segments,rows,pages", [(1000, 125, 5), (2000, 125, 10)])
def test_long_transcripts_within_the_write_and_read_budgets(
    stack: Stack, unique: str, segments: int, rows: int, pages: int
) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "1700000000000001", 1)
    text = model_output(segments, voices=5)
    writes = _store_directly(chunks_of(text, tid, rows=rows))
    state = snapshot(stack.db, tid)
    assert state["doc"]["counts"]["segments"] == segments
    assert len(state["pages"]) == pages <= 10 * segments / 1000
    stored = all_segments(stack.db, tid)  # what an app reads: the document + the pages
    reads = 1 + len(state["pages"])
    assert [s["start_ms"] for s in stored] == [i * 4000 for i in range(segments)]
    assert reads <= 10 * segments / 1000
    assert writes <= 15 * segments / 1000, f"{writes} writes for {segments} segments"


def test_claim_check_text_is_read_from_storage(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "1700000000000001", 1)
    chunks = chunks_of(model_output(40), tid, rows=15)
    blob = stack.bucket.blob(f"results/{tid}/chunks/000001.txt")
    blob.upload_from_string(chunks[1].text or "")
    claimed = chunks[1].model_copy(
        update={"text": None, "text_uri": f"gs://{blob.bucket.name}/{blob.name}"}
    )
    missing = claimed.model_copy(update={"text_uri": f"gs://{blob.bucket.name}/nothing"})
    assert stack.deliver(chunks[0]) == 200
    assert stack.deliver(missing) == 500  # not lost: Pub/Sub will redeliver
    for chunk in (claimed, *chunks[2:]):
        assert stack.deliver(chunk) == 200
    assert len(all_segments(stack.db, tid)) == 40


EMPTY_TABLES = (
    "<TRANSCRIPT>\nstart\tvoice\ttext\n</TRANSCRIPT>\n<SPEAKERS>\nvoice\tname\n</SPEAKERS>\n"
)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("I cannot write the <TRANSCRIPT> for this video: the audio is silent.", "failed"),
        ("Here is a summary instead: two people talk about bees.", "failed"),
        (EMPTY_TABLES, "completed"),  # a silent recording: whole, empty tables
    ],
)
def test_an_answer_without_a_transcript_fails(
    stack: Stack, unique: str, answer: str, status: str
) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "6", 1)
    for chunk in chunks_of(answer, tid, generation="6"):
        assert stack.deliver(chunk) == 200
    doc = snapshot(stack.db, tid)["doc"]
    assert doc["status"] == status and doc["counts"]["segments"] == 0
    if status == "failed":
        assert doc["reason"] == "the model's answer holds no transcript"


def test_a_failed_run_is_terminal_with_reason_and_event(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "5", 1)
    text = model_output(30)[:700]  # cut off mid-table, mid-row
    for chunk in chunks_of(text, tid, generation="5", rows=10, outcome="failed"):
        assert stack.deliver(chunk) == 200
    doc = snapshot(stack.db, tid)["doc"]
    assert (doc["status"], doc["reason"], doc["complete"]) == ("failed", "run failed", False)
    codes = {issue["code"] for issue in doc["issues"]}
    assert {"truncated_row", "cut_off", "unknown_voice"} <= codes
    [event] = stack.pull_events()
    assert event.type == "dev.tabscribe.transcription.failed" and event.data.reason == "run failed"
    assert event.data.complete is False


def test_a_poison_message_is_never_acked_and_ends_in_the_dead_letter_topic(
    stack: Stack, unique: str
) -> None:
    """A push subscriber acks on 2xx only: replay that loop against the entry point, with the
    emulator's dead-letter policy doing what the deployed subscription does."""
    publisher, subscriber = pubsub_v1.PublisherClient(), stack.subscriber
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/results-{unique}").name
    dead = publisher.create_topic(name=f"projects/{PROJECT}/topics/dead-{unique}").name
    dead_sub = subscriber.create_subscription(
        name=f"projects/{PROJECT}/subscriptions/dead-{unique}", topic=dead
    ).name
    results = subscriber.create_subscription(
        request={
            "name": f"projects/{PROJECT}/subscriptions/results-{unique}",
            "topic": topic,
            "ack_deadline_seconds": 10,
            "dead_letter_policy": {"dead_letter_topic": dead, "max_delivery_attempts": 5},
        }
    ).name
    publisher.publish(topic, b'{"not": "a chunk"}', transcription_id="x").result(timeout=30)
    deliveries, dead_letters = [], []
    deadline = time.monotonic() + 60
    while not dead_letters and time.monotonic() < deadline:
        pulled = subscriber.pull(subscription=results, max_messages=1, timeout=2)
        for received in pulled.received_messages:
            message = received.message
            body = {
                "message": {
                    "data": base64.b64encode(message.data).decode(),
                    "attributes": dict(message.attributes),
                    "messageId": message.message_id,
                },
                "subscription": results,
            }
            status = stack.http.post("/", json=body).status_code
            deliveries.append((message.message_id, status, received.delivery_attempt))
            if 200 <= status < 300:
                subscriber.acknowledge(subscription=results, ack_ids=[received.ack_id])
            else:  # what the push endpoint's error does: a nack
                subscriber.modify_ack_deadline(
                    subscription=results, ack_ids=[received.ack_id], ack_deadline_seconds=0
                )
        dead_letters = subscriber.pull(
            subscription=dead_sub, max_messages=1, timeout=1
        ).received_messages
    assert len(deliveries) >= 2 and {status for _, status, _ in deliveries} == {500}
    assert len({message_id for message_id, _, _ in deliveries}) == 1  # the same message again
    assert dead_letters, f"not dead-lettered after {deliveries}"
    assert dead_letters[0].message.data == b'{"not": "a chunk"}'
    assert [attempt for _, _, attempt in deliveries] == list(range(1, len(deliveries) + 1))


def test_a_crash_before_the_publish_republishes_the_same_event_on_redelivery(
    stack: Stack, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.core import clients

    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "1700000000000001", 1)
    chunks = chunks_of(model_output(30), tid, rows=10)
    for chunk in chunks[:-1]:
        assert stack.deliver(chunk) == 200
    working = clients.publisher

    def crashed() -> Any:
        raise RuntimeError("instance died before publishing")

    monkeypatch.setattr(clients, "publisher", crashed)
    assert stack.deliver(chunks[-1]) == 500  # committed, not published: Pub/Sub redelivers
    doc = snapshot(stack.db, tid)["doc"]
    assert doc["status"] == "completed" and doc["event"]["published"] is False
    monkeypatch.setattr(clients, "publisher", working)
    assert stack.deliver(chunks[-1]) == 200
    assert stack.deliver(chunks[-1]) == 200  # published now: a further copy is a no-op
    [event] = stack.pull_events()
    assert event.id == f"{tid}-1700000000000001-1"
    assert snapshot(stack.db, tid)["doc"]["event"]["published"] is True


# -- forgeries: the store accepts only what the transcriber's claim announced (decision 0008) --
# A refused chunk answers 500 (Pub/Sub redelivers it, then dead-letters it) and writes nothing.


def _nothing_published(stack: Stack) -> None:
    assert stack.pull_events(expect=0) == []


def test_chunks_for_an_unknown_transcription_are_refused(stack: Stack, unique: str) -> None:
    tid = new_id(unique)  # nobody claimed it: no document
    for chunk in chunks_of(model_output(30), tid, rows=10):
        assert stack.deliver(chunk) == 500
    assert not stack.db.collection(TRANSCRIPTIONS).document(tid).get().exists
    assert list(stack.bucket.list_blobs(prefix=f"results/{tid}/")) == []
    _nothing_published(stack)


@pytest.mark.parametrize(("generation", "attempt"), [("200", 2), ("300", 1), ("300", 9)])
def test_chunks_of_a_run_newer_than_the_claim_are_refused(
    stack: Stack, unique: str, generation: str, attempt: int
) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "200", 1)
    for chunk in chunks_of(model_output(40), tid, generation="200", rows=10):
        assert stack.deliver(chunk) == 200
    stack.pull_events(expect=1)
    before = snapshot(stack.db, tid)
    forged = chunks_of(model_output(5, seed=5), tid, generation=generation, attempt=attempt)
    for chunk in forged:
        assert stack.deliver(chunk) == 500
    assert snapshot(stack.db, tid) == before  # the real transcript stays, pages included
    assert before["doc"]["counts"]["segments"] == 40 and len(before["pages"]) == 1
    _nothing_published(stack)


def test_chunks_numbered_after_the_final_chunk_are_refused(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "7", 1)
    chunks = chunks_of(model_output(14), tid, generation="7", rows=5)
    final = chunks[-1]
    early = chunks[1].model_copy(update={"seq": final.seq + 2})  # arrives before the final
    assert stack.deliver(early) == 200  # buffered: the end of the run is not known yet
    for chunk in chunks:
        assert stack.deliver(chunk) == 200
    done = snapshot(stack.db, tid)
    assert done["doc"]["counts"]["segments"] == 14 and done["pending"] == []  # dropped at the end
    for seq in (final.seq + 1, final.seq + 3):
        assert stack.deliver(chunks[1].model_copy(update={"seq": seq})) == 500
    assert snapshot(stack.db, tid) == done
    assert len(all_segments(stack.db, tid)) == 14


def _parked(bucket: storage.Bucket, name: str, text: str) -> str:
    blob = bucket.blob(name)
    blob.upload_from_string(text)
    return f"gs://{bucket.name}/{name}"


def test_a_claim_check_outside_the_transcriptions_own_prefix_is_refused(
    stack: Stack, unique: str
) -> None:
    tid, other = new_id(unique), new_id(unique + "other")
    transcriber_doc(stack.db, tid, "8", 1)
    chunks = chunks_of(model_output(20), tid, generation="8", rows=10)
    secret = chunks[1].text or ""
    uploads = storage.Client(project=PROJECT).create_bucket(f"uploads-{unique}")
    forged_uris = [
        _parked(uploads, "uploads/user-2/diary.txt", secret),  # another user's upload
        _parked(uploads, f"results/{tid}/chunks/x.txt", secret),  # right prefix, wrong bucket
        _parked(stack.bucket, f"results/{other}/chunks/x.txt", secret),  # another transcription
        _parked(stack.bucket, f"results/{tid}x/chunks/x.txt", secret),  # a longer id
        _parked(stack.bucket, f"elsewhere/{tid}/x.txt", secret),  # outside the output prefix
    ]
    assert stack.deliver(chunks[0]) == 200
    before = snapshot(stack.db, tid)
    for uri in forged_uris:
        forged = chunks[1].model_copy(update={"text": None, "text_uri": uri})
        assert stack.deliver(forged) == 500, uri
        assert snapshot(stack.db, tid) == before
    good = _parked(stack.bucket, f"results/{tid}/chunks/8-1-00001.txt", secret)
    assert stack.deliver(chunks[1].model_copy(update={"text": None, "text_uri": good})) == 200
    for chunk in chunks[2:]:
        assert stack.deliver(chunk) == 200
    assert len(all_segments(stack.db, tid)) == 20


def test_without_a_results_bucket_a_claim_check_is_read_from_the_upload_bucket_only(
    stack: Stack, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transcriber parks oversize text in the upload bucket when no results bucket is set."""
    monkeypatch.setenv("TABSCRIBE_RESULTS_BUCKET", "")
    get_settings.cache_clear()
    tid = new_id(unique)
    uploads = storage.Client(project=PROJECT).create_bucket(f"uploads-{unique}")
    transcriber_doc(stack.db, tid, "9", 1)
    stack.db.collection(TRANSCRIPTIONS).document(tid).update({"source.bucket": uploads.name})
    chunks = chunks_of(model_output(20), tid, generation="9", rows=10)
    text = chunks[1].text or ""
    elsewhere = _parked(stack.bucket, f"results/{tid}/chunks/9-1-00001.txt", text)
    own = _parked(uploads, f"results/{tid}/chunks/9-1-00001.txt", text)
    assert stack.deliver(chunks[0]) == 200
    assert stack.deliver(chunks[1].model_copy(update={"text": None, "text_uri": elsewhere})) == 500
    assert stack.deliver(chunks[1].model_copy(update={"text": None, "text_uri": own})) == 200
    for chunk in chunks[2:]:
        assert stack.deliver(chunk) == 200
    assert len(all_segments(stack.db, tid)) == 20


def test_the_transcriber_s_own_issues_on_the_final_chunk_are_recorded(
    stack: Stack, unique: str
) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "1700000000000001", 1)
    text = model_output(30, voices=2)
    cut = text[: text.index("\n01:00") + 1]  # the stream stopped by the guard, mid-transcript
    chunks = chunks_of(cut, tid, rows=10)
    loop = Issue(code="repetition_loop", message="the row at 00:58 came 12 times in a row")
    final = chunks[-1].model_copy(update={"issues": [loop], "finish_reason": "REPETITION_LOOP"})
    for chunk in [*chunks[:-1], final]:
        assert stack.deliver(chunk) == 200
    doc = snapshot(stack.db, tid)["doc"]
    assert doc["status"] == "completed" and doc["complete"] is False
    assert doc["finish_reason"] == "REPETITION_LOOP"
    assert {"code": "repetition_loop", "message": loop.message, "line": None} in doc["issues"]


def test_a_cut_off_run_reports_the_share_of_the_media_it_covered(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    transcriber_doc(stack.db, tid, "1700000000000001", 1)  # 400 s of media
    text = model_output(100, voices=2)
    cut = text[: text.index("\n03:20") + 1]  # MAX_TOKENS after the row at 03:16
    for chunk in chunks_of(cut, tid, rows=10):
        assert stack.deliver(chunk) == 200
    doc = snapshot(stack.db, tid)["doc"]
    assert doc["status"] == "completed" and doc["complete"] is False
    assert doc["progress"]["fraction"] == pytest.approx(196 / 400)
