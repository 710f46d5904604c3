"""Long media going wrong on the whole local stack (decision 0010, "Failure semantics"): one clip
in a 503 storm, one clip blocked, every clip message duplicated, the object overwritten during
the fan-out, and the store killed while clips stream. The unit-level versions call the clip
function in-process (tests/transcribe/test_clips.py); here the push subscriptions, the bridge, the
store and the stand-in (faults aimed at one clip with `clip_start_s`) are the real ones. Clips are
forced short (2 minutes, 10 s overlap): the 10-minute keynote is six clips."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.cloud import pubsub_v1

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS, transcription_id
from functions.core.messages import ClipTask
from functions.transcribe.clips import ClipRange, plan_clips
from stack.follow import put
from stack.local import BUCKET, PROJECT, TOPICS, LocalStack
from tests.stack.long_media import (
    SAMPLES,
    authored,
    clip_of,
    duration_s,
    finish,
    model_calls,
    plan_of,
    put_as,
    rows,
    standin,
)
from tests.store.support import push_body

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("shared_stack", ["short-clips"], indirect=True),
]
KEYNOTE = SAMPLES / "keynote.mp4"
Clip = tuple[float, float | None]


def clock(ms: int) -> str:
    """`MM:SS`, as a message names a moment of a media under an hour."""
    return f"{ms // 60_000:02d}:{ms // 1000 % 60:02d}"


def keynote_clips() -> list[ClipRange]:
    """The keynote's clip plan on the short-clips stack (checked against the document's by the
    tests)."""
    return plan_clips(duration_s("keynote"), 120, 10, 120)


def calls_by_clip(local: LocalStack) -> dict[Clip, list[int]]:
    """The HTTP status of each clip's model call, by the clip it asked for, in call order (at
    most one voices pass aside: its parts are the voices' snippets, not a clip)."""
    found: dict[Clip, list[int]] = {}
    calls = model_calls(local)
    assert sum(1 for call in calls if "voices" in call) <= 1
    for call in calls:
        if "voices" not in call:
            found.setdefault(clip_of(call), []).append(call["status"])
    return found


def document(name: str) -> dict[str, Any]:
    tid = transcription_id(BUCKET, name)
    return clients.firestore_client().collection(TRANSCRIPTIONS).document(tid).get().to_dict() or {}


def until(what: str, found: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def log_lines(local: LocalStack, service: str, *needles: str) -> int:
    log = local.logs / f"{service}.log"
    return sum(1 for line in log.read_text().splitlines() if all(n in line for n in needles))


def test_a_503_storm_on_one_clip_is_retried_and_the_transcript_completes(
    local: LocalStack,
) -> None:
    storm = keynote_clips()[2]
    standin(local, "faults", [{"status": 503, "times": 4, "clip_start_s": storm.start_s}])
    doc, segments = finish(local, put(KEYNOTE, "storm", {}))
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert rows(segments) == authored("keynote")
    plan = plan_of(doc["clips"]["ranges"])
    assert plan[2][0] == storm.start_s
    assert calls_by_clip(local) == {
        clip: [503, 503, 503, 503, 200] if n == 2 else [200] for n, clip in enumerate(plan)
    }
    assert not [i for i in doc.get("issues") or [] if i["code"].startswith("clip_")]


def test_a_clip_cut_by_max_tokens_continues_and_the_transcript_completes(
    local: LocalStack,
) -> None:
    cut = keynote_clips()[2]  # its first call stops after 10 rows; its continuation goes on
    standin(local, "faults", [{"max_tokens_at_row": 10, "times": 1, "clip_start_s": cut.start_s}])
    doc, segments = finish(local, put(KEYNOTE, "cut", {}))
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert rows(segments) == authored("keynote")
    continuations = [c for c in model_calls(local) if "continuation" in c]
    assert len(continuations) == 1
    assert cut.start_s < continuations[0]["continuation"]["start_s"] < cut.end_s
    assert not [i for i in doc.get("issues") or [] if i["code"].startswith("clip_")]


def test_a_blocked_clip_is_a_gap_and_the_transcription_completes_incomplete(
    local: LocalStack,
) -> None:
    blocked = keynote_clips()[3]  # every call on it is blocked: a retry would be too
    fault = {"prompt_block": "PROHIBITED_CONTENT", "clip_start_s": blocked.start_s}
    standin(local, "faults", [fault])
    doc, segments = finish(local, put(KEYNOTE, "blocked", {}))
    assert doc["status"] == "completed" and doc["complete"] is False, doc.get("reason")
    ranges = doc["clips"]["ranges"]
    assert ranges[3]["start_ms"] == blocked.start_ms
    span = f"{clock(ranges[3]['start_ms'])} to {clock(ranges[3]['end_ms'])}"
    gaps = [i["message"] for i in doc["issues"] if i["code"] == "clip_gap"]
    assert len(gaps) == 1 and gaps[0].startswith(f"clip 3 ({span}) not transcribed"), gaps
    # the neighbours keep their whole overlap with the gap: lost is what neither of them heard
    lost = range(ranges[2]["end_ms"], ranges[4]["start_ms"])
    kept = [row for row in authored("keynote") if row[0] not in lost]
    assert rows(segments) == kept and len(kept) < len(authored("keynote"))
    assert calls_by_clip(local) == {clip: [200] for clip in plan_of(ranges)}  # one call each
    blocked_calls = [c for c in model_calls(local) if c["faults"].get("prompt_block")]
    assert [clip_of(c)[0] for c in blocked_calls] == [blocked.start_s]


def test_duplicate_clip_messages_call_the_model_once_per_clip(local: LocalStack) -> None:
    subscriber, publisher = pubsub_v1.SubscriberClient(), clients.publisher()
    topic = publisher.topic_path(PROJECT, TOPICS["clips"])
    copies = subscriber.subscription_path(PROJECT, "clips-copies")
    subscriber.create_subscription(name=copies, topic=topic)  # sees what the push one gets
    try:
        standin(local, "faults", [{"first_byte_delay_s": 3}])  # each clip's call in flight 3 s
        blob = put(KEYNOTE, "dup", {})
        tasks = pull(subscriber, copies, 6)
        until("a clip's model call in flight", lambda: model_calls(local))
        for message in tasks:  # Pub/Sub duplicates: the message again under a new id
            data, attributes = message.message.data, dict(message.message.attributes)
            publisher.publish(topic, data, **attributes).result(timeout=10)
        # and each delivered again at once, while clips are in flight (the emulator pushes a few
        # messages at a time: some of these come before the push of their original)
        deliveries = [(m, m.message.message_id) for m in tasks]  # a redelivery: the same id
        deliveries += [(m, f"copy-{m.message.message_id}") for m in tasks]  # a duplicate
        with ThreadPoolExecutor(len(deliveries)) as pool:
            codes = list(pool.map(lambda d: deliver(local, *d), deliveries))
        assert set(codes) <= {200, 500}  # 500: the live holder's own message, come back later
        doc, segments = finish(local, blob)
    finally:
        subscriber.delete_subscription(subscription=copies)
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert rows(segments) == authored("keynote")
    tid = transcription_id(BUCKET, blob.name)
    until(  # per clip: 4 deliveries, 1 call, at most 1 refusal not retried (a POST's): 2 skips
        "the copies through Pub/Sub handled",
        lambda: log_lines(local, "transcribe_clip", "clip not claimed", tid) >= 12,
    )
    assert calls_by_clip(local) == {clip: [200] for clip in plan_of(doc["clips"]["ranges"])}


def pull(subscriber: pubsub_v1.SubscriberClient, subscription: str, count: int) -> list[Any]:
    found: list[Any] = []
    deadline = time.monotonic() + 60
    while len(found) < count and time.monotonic() < deadline:
        response = subscriber.pull(subscription=subscription, max_messages=count, timeout=10)
        if response.received_messages:
            ids = [m.ack_id for m in response.received_messages]
            subscriber.acknowledge(subscription=subscription, ack_ids=ids)
        found += response.received_messages
    assert len(found) == count, f"{len(found)} clip messages, not {count}"
    return found


def deliver(local: LocalStack, message: Any, message_id: str) -> int:
    """POST the message to the clip function as the push subscription does, under `message_id`."""
    task = ClipTask.model_validate_json(message.message.data)
    body = json.dumps(push_body(task, message_id)).encode()
    request = urllib.request.Request(
        local.url("transcribe_clip"), body, {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_an_overwrite_during_the_fan_out_supersedes_the_old_generation(local: LocalStack) -> None:
    name = "uploads/olga/session"
    standin(local, "faults", [{"first_byte_delay_s": 3}])  # the old generation's calls are held
    old = put_as(SAMPLES / "conference.webm", name)  # 55 clips
    until("the old generation's first clip call", lambda: model_calls(local))
    before = document(name)
    assert before["source"]["generation"] == str(old.generation)
    old_plan = plan_of(before["clips"]["ranges"])
    new = put_as(KEYNOTE, name)  # overwritten while the old clips are in flight or queued
    standin(local, "faults", [])
    doc, segments = finish(local, new)
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert doc["source"]["generation"] == str(new.generation) and doc["clips"]["count"] == 6
    assert rows(segments) == authored("keynote")  # not one conference row, nor a row twice
    new_plan = plan_of(doc["clips"]["ranges"])
    assert not set(old_plan) & set(new_plan)  # so each call tells its generation
    called = calls_by_clip(local)
    assert set(called) <= set(old_plan) | set(new_plan)
    assert all(called[clip] == [200] for clip in new_plan)
    old_called = [clip for clip in called if clip in old_plan]
    assert 1 <= len(old_called) < len(old_plan)  # the rest were superseded before their call


def test_the_store_killed_while_clips_stream_and_restarted_loses_no_row(
    local: LocalStack,
) -> None:
    standin(local, "config", {"token_rate": 100})  # a clip streams for about 5 s
    blob = put(KEYNOTE, "restart", {})
    tid = transcription_id(BUCKET, blob.name)

    def merging() -> dict[str, Any] | None:
        doc = document(blob.name)
        progress = doc.get("progress") or {}
        return doc if doc.get("status") == "processing" and progress.get("segments") else None

    def streamed_to_the_end() -> int:  # the stand-in sets a call's status once it is answered
        return sum(call.get("status") == 200 for call in model_calls(local))

    at_kill = until("the store merging the first rows", merging)
    next(s for s in local.services if s.name == "store_transcription").kill()
    assert at_kill["progress"]["clips_done"] < 6
    ended = streamed_to_the_end()  # a clip streamed to its end has published its final chunk
    until("a clip's final chunk pushed to the dead store", lambda: streamed_to_the_end() > ended)
    local.restart("store_transcription")
    doc, segments = finish(local, blob)
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert rows(segments) == authored("keynote")
    assert doc["progress"]["clips_done"] == 6 and doc["counts"]["segments"] == len(segments)
    assert log_lines(local, "store_transcription", "chunk applied", tid) > 0  # the new store's
