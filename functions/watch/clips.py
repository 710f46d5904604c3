"""A dead-lettered clip task or clip chunk ends its clip, not the transcription (decision 0010).

The watchdog publishes the clip's final chunk on the results topic as its transcriber would have:
outcome `failed`, the reason, no text, at the `seq` the store expects next, under the clip's
claimed attempt (a clip never claimed is claimed first, as attempt 1, so the store accepts it).
The store then records the clip like any clip that ended terminally: a gap if it gave no rows, cut
off after its last stored chunk otherwise; the transcription completes with the gap recorded. For
the voices pass (clip `count`), the voices stay as the merge left them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from google.cloud import firestore

from functions.core import clients, logs
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, Status, clip_path
from functions.core.messages import ClipTag, ResultChunk
from functions.core.settings import get_settings
from functions.watch.ending import MAX_REASON, RunRef

log = logs.get_logger("watch")
PUBLISH_TIMEOUT_S = 30.0

ClipEnded = Literal["ended", "superseded", "terminal", "stored"]


def end_clip(transcription_id: str, run: RunRef, index: int, reason: str) -> ClipEnded:
    """Publish clip `index`'s final chunk (`failed`, `reason`) unless the run is no longer the
    document's, the document is terminal, or the store already holds the clip's final chunk."""
    db = clients.firestore_client(get_settings().firestore_database)
    ended, where = _claim_end(db, transcription_id, run, index)
    extra = {"transcription_id": transcription_id, "clip": index}
    if where is None:
        log.info(f"dead-letter: clip {ended}", extra=extra)
        return ended
    attempt, seq = where
    chunk = ResultChunk(
        transcription_id=transcription_id,
        generation=run.generation,
        attempt=run.attempt,
        seq=seq,
        clip=ClipTag(index=index, attempt=attempt),
        final=True,
        text="",
        outcome=Status.FAILED.value,
        reason=reason[:MAX_REASON],
        published_at=dt.datetime.now(dt.UTC),
    )
    publisher, settings = clients.publisher(), get_settings()
    topic = publisher.topic_path(settings.project, settings.results_topic)
    body = chunk.model_dump_json(exclude_none=True).encode()
    publisher.publish(topic, body, **chunk.attributes()).result(timeout=PUBLISH_TIMEOUT_S)
    log.warning(f"dead-letter: clip {index} ended: {reason}", extra=extra)
    return "ended"


def _claim_end(
    db: firestore.Client, transcription_id: str, run: RunRef, index: int
) -> tuple[ClipEnded, tuple[int, int] | None]:
    """(what happened, (the clip's attempt, the next seq) to publish at, or None)."""
    parent = db.collection(TRANSCRIPTIONS).document(transcription_id)
    ref = db.document(clip_path(transcription_id, run.generation, run.attempt, index))
    result: tuple[ClipEnded, tuple[int, int] | None] = ("superseded", None)

    @firestore.transactional
    def decide(transaction: firestore.Transaction) -> None:
        nonlocal result
        upload = parent.get(transaction=transaction).to_dict() or {}
        if RunRef.of(upload) != run:
            result = ("superseded", None)
            return
        if upload.get("status") in TERMINAL:
            result = ("terminal", None)
            return
        clip_doc = ref.get(transaction=transaction).to_dict() or {}
        attempt = int((clip_doc.get("run") or {}).get("attempt") or 0)
        if not attempt:  # never claimed: claim it so the store accepts its final chunk
            attempt = 1
            claim = {"run": {"generation": run.generation, "attempt": attempt}}
            transaction.set(ref, claim, merge=True)
        store = clip_doc.get("store") or {}
        recorded = store.get("attempt") == attempt
        if recorded and store.get("finished"):
            result = ("stored", None)
            return
        result = ("ended", (attempt, int(store.get("next_seq", 0)) if recorded else 0))

    decide(db.transaction())
    return result
