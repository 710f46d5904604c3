"""The whole local pipeline, as `make demo` runs it: emulators, both functions under
functions-framework, the bridge, the push subscription, the Gemini API stand-in (a subprocess).
Uploads go through the real Cloud Storage client, or as the viewer makes them: the upload
function's signed URL through the stack's gateway; results are read back from Firestore."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from functions.core import clients
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, transcription_id
from stack.accounts import id_token
from stack.follow import FollowError, read_segments, upload, wait_for_terminal
from stack.local import BUCKET, PROJECT, TOPICS, UPLOAD_TARGET, LocalStack
from tests.paths import ROOT
from tests.stack.long_media import standin

pytestmark = pytest.mark.emulator
SAMPLES = ROOT / "samples"
MEDIA = ROOT / "tests" / "data" / "media"
PODCAST = SAMPLES / "podcast.m4a"


def _calls(local: LocalStack, name: str) -> int:
    media_calls = standin(local, "calls")["calls"]
    return sum(1 for c in media_calls if c.get("method") != "countTokens" and name in str(c))


def _wait(name: str, timeout: float = 60) -> dict[str, Any]:
    ref = (
        clients.firestore_client()
        .collection(TRANSCRIPTIONS)
        .document(transcription_id(BUCKET, name))
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = ref.get().to_dict() or {}
        if doc.get("status") in TERMINAL and (doc.get("event") or {}).get("published"):
            return doc
        time.sleep(0.2)
    raise AssertionError(f"{name} not finished in {timeout} s: {ref.get().to_dict()}")


def test_sample_video_ends_completed_with_speakers_and_segments(local: LocalStack) -> None:
    name = upload(SAMPLES / "interview.mp4", "alice", {"title": "City Notes"})
    doc = _wait(name)
    assert doc["status"] == "completed" and doc["owner"] == "alice" and doc["complete"] is True
    names = {s["voice"]: s["name"] for s in doc["speakers"]}
    assert names == {1: "Daniel Price", 2: "Marta Silva"}
    segments = read_segments(transcription_id(BUCKET, name), doc)
    assert len(segments) == 14 and segments[0]["start_ms"] == 0
    assert segments[2]["text"].startswith("Thanks, Daniel.") and segments[2]["voice"] == 2
    assert set(doc["exports"]) == {"vtt", "srt", "json"}


def test_ten_minute_keynote_fills_pages_and_reports_progress(local: LocalStack) -> None:
    name = upload(SAMPLES / "keynote.mp4", "bob", {})
    doc = _wait(name, timeout=120)
    assert doc["status"] == "completed" and doc["counts"]["segments"] == 218
    assert doc["counts"]["pages"] == 2 and doc["progress"]["fraction"] > 0.95
    segments = read_segments(transcription_id(BUCKET, name), doc)
    assert [s["start_ms"] for s in segments] == sorted(s["start_ms"] for s in segments)


def test_a_duplicate_event_and_an_overwrite(local: LocalStack) -> None:
    name = upload(SAMPLES / "podcast.m4a", "carol", {})
    first = _wait(name)
    blob = clients.storage_client().bucket(BUCKET).get_blob(name)
    from stack.events import object_resource, storage_event

    headers, body = storage_event(object_resource(blob), event_id="dup-1")
    for _ in range(2):  # the same generation delivered again, twice
        request = urllib.request.Request(
            local.url("transcribe_upload"), json.dumps(body).encode(), headers, method="POST"
        )
        urllib.request.urlopen(request, timeout=30).close()
    assert _calls(local, "podcast") == 1
    upload(SAMPLES / "podcast.m4a", "carol", {"title": "again"})  # a new generation
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = _wait(name)
        if doc["run"]["generation"] != first["run"]["generation"]:
            break
        time.sleep(0.3)
    assert doc["run"]["generation"] > first["run"]["generation"] and doc["status"] == "completed"
    assert _calls(local, "podcast") == 2


@pytest.mark.parametrize(
    ("fault", "status", "finish_reason", "complete"),
    [
        # a RetryInfo of 1 s, not the stand-in's default 38 s: the wait it asks for is
        # tests/transcribe's (test_a_429_waits_as_long_as_its_retry_info_says)
        ({"status": 429, "times": 1, "retry_delay_s": 1}, "completed", "STOP", True),
        ({"error_after_chars": 400, "error_status": 503, "times": 1}, "completed", "STOP", True),
        ({"max_tokens_after_chars": 600, "times": 1}, "completed", "STOP", True),  # continued
        ({"safety_after_chars": 200, "times": 1}, "blocked", None, None),
        ({"malformed": True, "times": 1}, "failed", "STOP", False),
    ],
)
def test_faults_end_in_the_right_status(
    local: LocalStack,
    fault: dict[str, Any],
    status: str,
    finish_reason: str | None,
    complete: bool | None,
) -> None:
    standin(local, "faults", [fault])
    owner = "dan-" + "-".join(str(v) for v in fault.values())  # a new object per case
    name = upload(SAMPLES / "interview.mp4", owner, {})
    doc = _wait(name)
    assert doc["status"] == status, doc.get("reason")
    if finish_reason:
        assert doc["finish_reason"] == finish_reason
    if complete is not None:
        assert doc["complete"] is complete
    if status == "completed" and complete:
        assert doc["counts"]["segments"] == 14
    if "malformed" in fault:
        assert "holds no transcript" in doc["reason"] and doc["counts"]["segments"] == 0
        assert any(issue["code"] == "no_tables" for issue in doc["issues"])


KEYNOTE = json.loads((ROOT / "standin" / "responses" / "keynote.json").read_text())


@pytest.mark.parametrize(
    ("fault", "issues"),
    [
        ({"max_tokens_at_row": 109, "times": 1}, []),  # halfway
        ({"loop_from_row": 50, "times": 1}, ["repetition_loop"]),
        ({"loop_from_row": 50, "loop_cycle": 2, "times": 1}, ["repetition_loop"]),  # A, B, A, B
    ],
)
def test_a_cut_off_keynote_continues_to_the_authored_transcript(
    local: LocalStack, fault: dict[str, Any], issues: list[str]
) -> None:
    """Issue 16's end-to-end cases: the run continues in a second request (on the clips push
    subscription) and the document holds every authored row once, the speakers named."""
    standin(local, "faults", [fault])
    before = len(standin(local, "calls")["calls"])
    name = upload(SAMPLES / "keynote.mp4", "erin-" + "-".join(fault), {})
    doc = _wait(name, timeout=120)
    assert (
        doc["status"] == "completed" and doc["complete"] is True and doc["finish_reason"] == "STOP"
    )
    segments = read_segments(transcription_id(BUCKET, name), doc)
    assert [(s["start_ms"], s["voice"], s["text"]) for s in segments] == [
        (r["start_ms"], r["voice"], r["text"]) for r in KEYNOTE["rows"]
    ]
    assert {s["voice"]: s["name"] for s in doc["speakers"]} == {
        s["voice"]: s["name"] for s in KEYNOTE["speakers"]
    }
    assert [issue["code"] for issue in doc["issues"]] == issues
    assert doc["timings"]["continuations"] == 1 and doc["progress"]["fraction"] > 0.95
    calls = [c for c in standin(local, "calls")["calls"][before:] if c["method"] != "countTokens"]
    assert len(calls) == 2  # usage: what each request reported (a stream the guard closed, none)
    reported = [c["usage"]["candidatesTokenCount"] for c in calls if not c.get("error")]
    assert len(reported) == 2 - len(issues)
    assert doc["usage"]["output_tokens"] == sum(reported)


def test_non_media_is_rejected(local: LocalStack) -> None:
    blob = clients.storage_client().bucket(BUCKET).blob("uploads/erin/notes.mp4")
    blob.upload_from_filename(str(MEDIA / "notes.txt"), content_type="video/mp4")
    doc = _wait(blob.name)
    assert doc["status"] == "rejected" and "unrecognised header" in doc["reason"]


def test_a_poison_message_ends_in_the_dead_letter_topic(local: LocalStack) -> None:
    from google.cloud import pubsub_v1

    publisher = clients.publisher()
    topic = publisher.topic_path(PROJECT, TOPICS["results"])
    name = "uploads/frank/ghost.mp4"  # a follower of this object learns the store gave up
    tid = transcription_id(BUCKET, name)
    publisher.publish(topic, b'{"not": "a chunk"}', poison="yes", transcription_id=tid).result(
        timeout=10
    )
    with pytest.raises(FollowError, match=r"dead-letter.*store_transcription\.log"):
        wait_for_terminal(name, local.logs)
    subscriber = pubsub_v1.SubscriberClient()
    dead = subscriber.subscription_path(PROJECT, f"{TOPICS['dead']}-pull")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        response = subscriber.pull(subscription=dead, max_messages=10, timeout=5)
        poison = [m for m in response.received_messages if m.message.attributes.get("poison")]
        if poison:
            assert poison[0].message.data == b'{"not": "a chunk"}'
            return
    raise AssertionError("the poison message never reached the dead-letter topic")


def _grant(local: LocalStack, uid: str) -> dict[str, Any]:
    """The upload function's answer for PODCAST, asked as `uid`."""
    token = id_token(local.env["FIREBASE_AUTH_EMULATOR_HOST"], uid)
    ask = {"name": PODCAST.name, "content_type": "audio/mp4", "size": PODCAST.stat().st_size}
    request = urllib.request.Request(
        local.url(UPLOAD_TARGET),
        json.dumps(ask).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def _put(grant: dict[str, Any], body: bytes) -> int:
    request = urllib.request.Request(grant["url"], body, grant["headers"], method="PUT")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_replayed_upload_url_is_412_and_changes_nothing(local: LocalStack) -> None:
    answer = _grant(local, "replay-owner")
    assert answer["headers"]["x-goog-if-generation-match"] == "0"
    assert _put(answer, PODCAST.read_bytes()) == 200
    done = _wait(answer["object"])
    assert done["status"] == "completed" and done["owner"] == "replay-owner"
    blob = clients.storage_client().bucket(BUCKET).get_blob(answer["object"])

    assert _put(answer, PODCAST.read_bytes()) == 412  # the same URL, its headers, again
    after = clients.storage_client().bucket(BUCKET).get_blob(answer["object"])
    assert (after.generation, after.md5_hash) == (blob.generation, blob.md5_hash)
    assert _wait(answer["object"]) == done
    assert _calls(local, answer["object"].rsplit("/", 1)[1]) == 1
