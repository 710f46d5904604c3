"""The store function on a 1,000-segment transcript, against the Firestore emulator.

The chunks are the ones the transcriber would publish for a fast stream (`TABSCRIBE_FLUSH_ROWS`
rows each), wrapped as Pub/Sub `messagePublished` data and handed to the store's handler in order.
Writes are counted at the Firestore client (every committed write, transactions and batches alike),
independently of the store's own bookkeeping; reads are what an app needs to load the transcript
(the document, then its pages).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.corpus import Segment, Speaker, Transcript
from bench.report import Metric, main

SEGMENTS = 1_000
ROUNDS = 3
GENERATION = "1700000000000001"


def transcript() -> Transcript:
    rng = random.Random(7)
    words = ["we", "can", "see", "how", "the", "model", "and", "data", "work", "in", "practice"]
    rows: list[Segment] = [
        (i * 3_000, 1 + i % 3, " ".join(rng.choice(words) for _ in range(rng.randint(6, 24))))
        for i in range(SEGMENTS)
    ]
    speakers: list[Speaker] = [
        (v, f"Speaker {v}", "Acme", "Engineer", "Panelist", 1000 * v) for v in (1, 2, 3)
    ]
    return Transcript("1,000 segments", rows, speakers, with_hours=True)


def messages(tid: str, generation: str, flush_rows: int) -> list[dict[str, Any]]:
    from functions.core.messages import ResultChunk, Usage
    from functions.transcribe.chunks import Chunker

    chunker = Chunker(flush_rows, float("inf"))
    pieces = [*chunker.feed(transcript().compact()), chunker.finish()]
    out = []
    for seq, piece in enumerate(pieces):
        final = seq == len(pieces) - 1
        chunk = ResultChunk(
            transcription_id=tid,
            generation=generation,
            attempt=1,
            seq=seq,
            final=final,
            state=piece.state,
            text=piece.text,
            outcome="completed" if final else None,
            finish_reason="STOP" if final else None,
            usage=Usage(prompt_tokens=300_000, output_tokens=40_000) if final else None,
            model="gemini-3-flash-preview" if final else None,
            duration_ms=SEGMENTS * 3_000 + 5_000 if final else None,
        )
        body = base64.b64encode(chunk.model_dump_json(exclude_none=True).encode()).decode()
        out.append(
            {"message": {"data": body, "messageId": f"{tid}-{seq}"}, "subscription": "bench"}
        )
    return out


class WriteCounter:
    """Counts the writes of every successful Firestore commit in this process."""

    def __init__(self) -> None:
        from google.cloud.firestore_v1 import batch, transaction

        self.writes = 0
        self._patches = [(transaction.Transaction, "_commit"), (batch.WriteBatch, "commit")]
        for cls, name in self._patches:
            original = getattr(cls, name)
            setattr(cls, f"_bench_{name}", original)
            setattr(cls, name, self._wrap(original))

    def _wrap(self, original: Any) -> Any:
        counter = self

        def commit(self: Any, *args: Any, **kwargs: Any) -> Any:
            pending = len(self._write_pbs)
            result = original(self, *args, **kwargs)
            counter.writes += pending
            return result

        return commit

    def close(self) -> None:
        for cls, name in self._patches:
            setattr(cls, name, getattr(cls, f"_bench_{name}"))


def _one_round(index: int, flush_rows: int) -> tuple[float, int, int]:
    from functions.core import clients
    from functions.core.documents import PAGES, TRANSCRIPTIONS
    from functions.store.handler import handle

    tid = f"{index:032x}"
    _claim(tid, GENERATION)  # the store accepts only runs the transcriber claimed
    batch = messages(tid, GENERATION, flush_rows)
    counter = WriteCounter()
    try:
        started = time.perf_counter()
        for data in batch:
            handle(data)
        elapsed = time.perf_counter() - started
    finally:
        counter.close()
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    doc = ref.get().to_dict() or {}
    assert doc.get("status") == "completed" and doc["counts"]["segments"] == SEGMENTS, doc
    pages = list(ref.collection(PAGES).stream())
    return elapsed, counter.writes, 1 + len(pages)


def _claim(tid: str, generation: str) -> None:
    from functions.core import clients
    from functions.transcribe.claims import Source, claim, holder_token

    source = Source("bench-uploads", f"uploads/bench/{tid}.mp4", generation, "video/mp4", 1, "b")
    now = dt.datetime.now(dt.UTC)
    claimed, why = claim(clients.firestore_client(), tid, source, holder_token("bench"), 120, now)
    assert claimed is not None, why


@contextmanager
def store_emulators() -> Iterator[None]:
    """The emulators a store-side benchmark runs on (Firestore, Pub/Sub, Cloud Storage), with the
    results bucket and the events topic; the environment as it was afterwards."""
    from stack.services import start_all, stop_all

    with tempfile.TemporaryDirectory() as tmp:
        emulators = start_all(Path(tmp), "tabscribe-bench")
        saved = dict(os.environ)
        try:
            for emulator in emulators:
                os.environ.update(emulator.env)
            os.environ.update(
                {
                    "GOOGLE_CLOUD_PROJECT": "tabscribe-bench",
                    "TABSCRIBE_RESULTS_BUCKET": "bench-results",
                }
            )
            from functions.core import clients
            from functions.core.settings import get_settings

            get_settings.cache_clear()
            clients.storage_client().create_bucket("bench-results")
            topic = clients.publisher().topic_path("tabscribe-bench", "tabscribe-events")
            clients.publisher().create_topic(name=topic)
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            stop_all(emulators)


def run() -> list[Metric]:
    with store_emulators():
        from functions.core.settings import get_settings

        flush_rows = get_settings().flush_rows
        rounds = [_one_round(i + 1, flush_rows) for i in range(ROUNDS)]
    elapsed = sorted(r[0] for r in rounds)[len(rounds) // 2]
    _, writes, reads = rounds[0]
    return [
        Metric(
            "store.rows_per_s",
            round(SEGMENTS / elapsed),
            "rows/s",
            f"{SEGMENTS} segments, {flush_rows}-row chunks, median of {ROUNDS}",
            ">= 2000",
        ),
        Metric(
            "store.writes_per_1000", writes, "writes", "documents written to store them", "<= 15"
        ),
        Metric("store.reads_per_1000", reads, "reads", "document + pages an app reads", "<= 10"),
    ]


if __name__ == "__main__":
    main(run)
