"""Deleting a long media while its clips stream, on the whole local stack (decision 0024): the
owner's request through the deletion function as served locally, with the Auth emulator's real
ID token; afterwards Firestore and both buckets hold nothing of it (the tombstone aside, which
names no file), even after its finalize event is delivered again; the clips in flight stop
streaming, and no clip call starts after the deletion."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from functions.core import clients
from functions.core.documents import DELETIONS, TRANSCRIPTIONS, transcription_id
from stack.accounts import id_token
from stack.events import object_resource, storage_event
from stack.follow import put
from stack.local import BUCKET, RESULTS_BUCKET, LocalStack
from tests.stack.long_media import SAMPLES, model_calls, standin
from tests.stack.test_clips_failures_e2e import until

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("shared_stack", ["short-clips"], indirect=True),
]


def delete(local: LocalStack, owner: str, tid: str) -> tuple[int, dict[str, Any]]:
    token = id_token(local.env["FIREBASE_AUTH_EMULATOR_HOST"], owner)
    request = urllib.request.Request(
        local.url("delete_transcription"),
        json.dumps({"transcription": tid}).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.status), json.loads(response.read())


def ended(call: dict[str, Any]) -> bool:
    """The stand-in records a call's status once answered, its error when the client hung up."""
    return call.get("status") is not None or call.get("error") is not None


def redeliver(local: LocalStack, data: dict[str, Any]) -> int:
    """The finalize event of `data` once more, as the bridge (Eventarc) delivers it."""
    headers, body = storage_event(data)
    url = local.url("transcribe_upload")
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.status)


def leftovers(tid: str, name: str) -> list[str]:
    """Every document under the transcription (any depth) and every object of it, any bucket."""
    db = clients.firestore_client()
    ref = db.collection(TRANSCRIPTIONS).document(tid)
    found = [ref.path] if ref.get().exists else []
    found += [p.path for p in _descendants(ref)]
    storage = clients.storage_client()
    found += [b.name for b in storage.list_blobs(BUCKET, prefix=name, versions=True)]
    found += [b.name for b in storage.list_blobs(RESULTS_BUCKET, versions=True) if tid in b.name]
    return found


def _descendants(ref: Any) -> list[Any]:
    return [
        found
        for collection in ref.collections()
        for doc in collection.list_documents()
        for found in ([doc] if doc.get().exists else []) + _descendants(doc)
    ]


def test_deleting_while_clips_stream_leaves_nothing_and_stops_the_calls(
    local: LocalStack,
) -> None:
    standin(local, "config", {"token_rate": 100})  # a clip streams for about 5 s
    blob = put(SAMPLES / "keynote.mp4", "deleter", {})
    finalized = object_resource(blob)
    tid = transcription_id(BUCKET, blob.name)
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)

    def clips_streaming() -> list[dict[str, Any]]:
        doc = ref.get().to_dict() or {}
        fanned_out = doc.get("status") == "processing" and (doc.get("clips") or {}).get("count")
        return [c for c in model_calls(local) if not ended(c)] if fanned_out else []

    streaming = until("a clip's call streaming", clips_streaming)
    status, answer = delete(local, "deleter", tid)
    calls_at = len(model_calls(local))

    assert status == 200 and answer["deleted"]["objects"] >= 1, answer
    until("every call ended", lambda: all(ended(c) for c in model_calls(local)))
    time.sleep(5)  # a straggler's time to write anything
    assert leftovers(tid, blob.name) == []
    assert redeliver(local, finalized) == 200
    assert leftovers(tid, blob.name) == []
    calls = model_calls(local)
    assert len(calls) <= calls_at + 1, calls[calls_at:]  # at most one claimed at that moment
    for call in calls:  # what streamed at the deletion stopped at its next flush: not billed on
        if call["id"] in {c["id"] for c in streaming} or call in calls[calls_at:]:
            assert call.get("error") == "client disconnected", call
            assert call["tokens_sent"] < call["tokens_planned"], call
    tombstone = clients.firestore_client().collection(DELETIONS).document(tid).get().to_dict()
    assert tombstone is not None and set(tombstone) == {
        "generation",
        "owner",
        "deleted_at",
        "done_at",
        "expire_at",  # Firestore's TTL deletes it 8 days on
    }
    assert tombstone["generation"] == str(blob.generation)
