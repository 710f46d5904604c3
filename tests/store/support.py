"""Helpers for the store tests: model output, chunk messages, push bodies, document snapshots."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from google.cloud import firestore

from functions.core.documents import PAGES, TRANSCRIPTIONS, transcription_id
from functions.core.messages import ClipTag, ClipTask, ResultChunk, Usage, VoicesTask
from functions.format.tables import render_output
from functions.transcribe.chunks import Chunker

SERVER_TIMESTAMPS = ("created_at", "updated_at", "finished_at")
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")


def model_output(segments: int, voices: int = 3, seed: int = 1) -> str:
    """Compact output of `segments` rows by `voices` voices, every voice listed."""
    rng = random.Random(seed)
    rows = [
        (i * 4000, i % voices + 1, " ".join(rng.choices(WORDS, k=rng.randint(3, 15))))
        for i in range(segments)
    ]
    speakers = [
        (v, f"Person {v}", f"Company {v}", "Engineer", "Guest", v * 4000)
        for v in range(1, voices + 1)
    ]
    return render_output(rows, speakers, with_hours=segments * 4 >= 3600)


def chunks_of(
    text: str,
    tid: str,
    generation: str = "1700000000000001",
    attempt: int = 1,
    rows: int = 25,
    outcome: str = "completed",
    duration_ms: int | None = None,
    clip: ClipTag | None = None,
) -> list[ResultChunk]:
    """The messages the transcriber would publish for `text` (chunks of `rows` rows), of the
    run or, given `clip`, of that clip of the run."""
    chunker = Chunker(flush_rows=rows, flush_interval_s=float("inf"))
    pieces = [(c.state, c.text) for c in [*chunker.feed(text), chunker.finish()]]
    messages = []
    for seq, (state, piece) in enumerate(pieces):
        final = seq == len(pieces) - 1
        extra: dict[str, Any] = {}
        if final:
            extra = {
                "outcome": outcome,
                "reason": None if outcome == "completed" else f"run {outcome}",
                "finish_reason": "STOP",
                "usage": Usage(prompt_tokens=100_000, output_tokens=20_000, total_tokens=120_000),
                "model": "gemini-2.5-flash",
                "duration_ms": duration_ms,
            }
        messages.append(
            ResultChunk(
                transcription_id=tid,
                generation=generation,
                attempt=attempt,
                seq=seq,
                clip=clip,
                final=final,
                state=state,
                text=piece,
                **extra,
            )
        )
    return messages


def new_id(unique: str) -> str:
    return transcription_id("bucket", f"uploads/user/{unique}.mp4")


def push_body(
    chunk: ResultChunk | ClipTask | VoicesTask | bytes, message_id: str = "1"
) -> dict[str, Any]:
    """The raw body a Pub/Sub push subscription posts."""
    data = chunk if isinstance(chunk, bytes) else chunk.model_dump_json().encode()
    attributes = {} if isinstance(chunk, bytes) else chunk.attributes()
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": attributes,
            "messageId": message_id,
            "publishTime": "2026-01-01T00:00:00Z",
        },
        "subscription": "projects/tabscribe-test/subscriptions/results-push",
    }


def cloud_event(
    chunk: ResultChunk | ClipTask | VoicesTask | bytes, message_id: str = "1"
) -> dict[str, Any]:
    """A structured-mode CloudEvent as Eventarc delivers a Pub/Sub message."""
    return {
        "specversion": "1.0",
        "id": message_id,
        "source": "//pubsub.googleapis.com/projects/tabscribe-test/topics/tabscribe-results",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "datacontenttype": "application/json",
        "time": "2026-01-01T00:00:00Z",
        "data": push_body(chunk, message_id),
    }


def _strip(value: dict[str, Any]) -> dict[str, Any]:
    value = {k: v for k, v in value.items() if k not in SERVER_TIMESTAMPS}
    if isinstance(value.get("event"), dict):
        value["event"] = {k: v for k, v in value["event"].items() if k != "published_at"}
    return value


def snapshot(db: firestore.Client, tid: str) -> dict[str, Any]:
    """The document and every page (and buffered chunk), without server timestamps."""
    ref = db.collection(TRANSCRIPTIONS).document(tid)
    return {
        "doc": _strip(ref.get().to_dict() or {}),
        "pages": {p.id: p.to_dict() for p in ref.collection(PAGES).stream()},
        "pending": sorted(p.id for p in ref.collection("pending").stream()),
    }


def all_segments(db: firestore.Client, tid: str) -> list[dict[str, Any]]:
    ref = db.collection(TRANSCRIPTIONS).document(tid)
    pages = ref.collection(PAGES).order_by("index").stream()
    return [segment for page in pages for segment in page.get("segments")]


def event_json(data: bytes) -> dict[str, Any]:
    return dict(json.loads(data))


def clip_answers(
    rows: list[tuple[int, int, str]], names: dict[int, str], ranges: list[tuple[int, int]]
) -> list[str]:
    """Each clip's answer as a model gives it: the rows starting in the clip, voices numbered by
    first appearance in the clip, timecodes relative to the clip; named speakers keep names."""
    answers = []
    for number, (start, end) in enumerate(ranges):
        last = number == len(ranges) - 1
        inside = [r for r in rows if start <= r[0] < end or (last and r[0] == end)]
        local: dict[int, int] = {}
        for _, voice, _ in inside:
            local.setdefault(voice, len(local) + 1)
        segments = [(at - start, local[voice], text) for at, voice, text in inside]
        speakers = [(v, names.get(a), None, None, None, None) for a, v in local.items()]
        answers.append(render_output(segments, speakers))
    return answers
