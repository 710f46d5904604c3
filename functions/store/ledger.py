"""Record one chunk in Firestore, in one atomic commit: in `seq` order, once, for the newest run.

- Only chunks of the run the transcriber claimed (the document's `run`) are accepted; anything
  else it did not announce is refused (`accept`, decision 0008).
- A chunk of an older run than the document's (`run`, written by the transcriber, or `store.run`)
  is superseded: nothing is written.
- The first chunk seen of a newer run resets the store's fields and deletes the old run's pages
  and buffered chunks in the same commit, so readers never see pages of two runs.
- `seq < store.next_seq`: a duplicate, nothing is written.
- `seq > store.next_seq`: buffered as `pending/{generation}-{attempt}-{seq}`; applied when the gap
  fills. `seq == next_seq`: applied, then every buffered successor, then the pending docs deleted.
  Nothing follows a run's final chunk: later seqs are refused, and buffered ones dropped.

docs/decisions/0003-store-idempotency.md explains the choice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from google.api_core import exceptions as api_errors
from google.cloud import firestore

from functions.core import logs
from functions.core.documents import TRANSCRIPTIONS, Status
from functions.core.events import event_id, event_type
from functions.core.messages import ResultChunk, Usage
from functions.core.settings import get_settings
from functions.format.parser import StreamParser
from functions.store import accept
from functions.store.cost import estimate_cost
from functions.store.state import Run, RunState
from functions.store.writes import PENDING, WritePlan, pending_id

log = logs.get_logger("store")
MAX_ATTEMPTS = 10
# What a commit guarded by the document's state raises when the document changed since the read.
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)

Action = Literal["superseded", "duplicate", "buffered", "applied"]
TextLoader = Callable[[ResultChunk], str]


@dataclass
class Recorded:
    action: Action
    run: Run
    applied: list[int] = field(default_factory=list)
    finished: bool = False  # the run has finished (now or before)
    event_pending: bool = False  # …and its completion event is not recorded as published
    writes: int = 0


def record(chunk: ResultChunk, load_text: TextLoader) -> Recorded:
    """Read the document, decide, and commit every write at once on the condition that the
    document is unchanged since the read (optimistic concurrency: no transaction to begin, no
    locks to wait for); if it changed, read again (docs/decisions/0003-store-idempotency.md)."""
    from functions.core import clients

    client = clients.firestore_client(get_settings().firestore_database)
    ref = client.collection(TRANSCRIPTIONS).document(chunk.transcription_id)
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _record(client, ref, chunk, load_text)
        except CHANGED:
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # let the other writer finish
    raise RuntimeError(f"chunk {chunk.seq}: the document kept changing; Pub/Sub will redeliver")


def current_run(doc: dict[str, Any] | None) -> Run | None:
    """The newest run the document knows of: the transcriber's claim or the store's."""
    runs = []
    for candidate in ((doc or {}).get("run"), ((doc or {}).get("store") or {}).get("run")):
        if isinstance(candidate, dict) and candidate.get("generation") and candidate.get("attempt"):
            runs.append(Run.model_validate(candidate))
    return max(runs, key=lambda r: r.key, default=None)


def _record(
    client: firestore.Client,
    ref: firestore.DocumentReference,
    chunk: ResultChunk,
    load_text: TextLoader,
) -> Recorded:
    snapshot = ref.get()
    doc: dict[str, Any] | None = snapshot.to_dict() if snapshot.exists else None
    run = Run.of(chunk)
    claimed = accept.claimed_run(doc)
    assert doc is not None  # a claimed run implies a document
    newest = current_run(doc)
    if newest is not None and run.key < newest.key:
        return Recorded("superseded", run)
    accept.check_run(chunk, claimed)
    stored = doc.get("store")
    state = RunState.from_doc(doc) if stored and Run(**stored["run"]) == run else None
    if state is not None and chunk.seq < state.cursor.next_seq:
        published = bool((doc.get("event") or {}).get("published"))
        finished = state.cursor.finished
        return Recorded(
            "duplicate", run, finished=finished, event_pending=finished and not published
        )
    if state is not None and state.cursor.finished:
        raise accept.Refused(f"chunk {chunk.seq} comes after the run's final chunk")
    accept.check_text_uri(chunk, doc)

    plan = WritePlan(client, ref, snapshot.update_time, run, doc.get("owner"))
    if state is None:
        state = RunState.fresh(run)
        plan.reset()
    if chunk.seq > state.cursor.next_seq:
        plan.buffer(chunk)
        state.cursor.buffered = sorted({*state.cursor.buffered, chunk.seq})
        plan.document(state, {}, None)
        return Recorded("buffered", run, writes=plan.commit())

    duration_ms = doc.get("duration_ms")
    applied, final = [], None
    for current in chain(ref, chunk, set(state.cursor.buffered)):
        text = load_text(current)
        parser = StreamParser(duration_ms or current.duration_ms, state=current.state)
        rows = parser.feed(text, final=current.final)
        plan.pages(state.add(rows, [*parser.issues, *(current.issues or [])]))
        state.cursor.next_seq = current.seq + 1
        applied.append(current.seq)
        if current is not chunk:
            plan.delete_pending(current)
            state.cursor.buffered.remove(current.seq)
        if current.final:
            plan.pages(state.finish(duration_ms or current.duration_ms))
            drop_beyond_final(plan, current, state.cursor.buffered)
            state.cursor.buffered = []
            final = _final_fields(current, parser, doc, state)
            break
    plan.document(state, final or {}, duration_ms or (final or {}).get("duration_ms"))
    writes = plan.commit()
    return Recorded("applied", run, applied, final is not None, final is not None, writes)


def drop_beyond_final(plan: WritePlan, final: ResultChunk, buffered: list[int]) -> None:
    """Buffered chunks numbered after the final one belong to no run: delete them."""
    for seq in buffered:
        plan.delete_pending(final, seq)
        extra = {"transcription_id": final.transcription_id, "seq": seq}
        log.warning("buffered chunk after the final chunk dropped", extra=extra)


def chain(
    ref: firestore.DocumentReference,
    chunk: ResultChunk,
    buffered: set[int],
) -> Iterator[ResultChunk]:
    """The chunk, then its buffered successors for as long as they follow without a gap
    (read from `pending` only when the cursor says one is there: in-order delivery reads none)."""
    current = chunk
    pending = ref.collection(PENDING)
    while True:
        yield current
        if current.final or current.seq + 1 not in buffered:
            return
        successor = pending_id(current, current.seq + 1)
        snapshot = pending.document(successor).get()
        if not snapshot.exists:
            return
        current = ResultChunk.model_validate_json(snapshot.get("chunk"))


def _final_fields(
    chunk: ResultChunk, parser: StreamParser, doc: dict[str, Any] | None, state: RunState
) -> dict[str, Any]:
    """What the final chunk adds: terminal status and reason, accounting, the event to publish."""
    assert chunk.outcome is not None
    status, reason = Status(chunk.outcome), chunk.reason
    if status is Status.COMPLETED and state.cursor.segments == 0 and not parser.complete:
        # prose or a refusal instead of the tables (an empty but whole pair of tables is a
        # silent recording): nothing to show, and a retry at temperature 0 would write the same
        status, reason = Status.FAILED, "the model's answer holds no transcript"
    fields = terminal_fields(
        chunk.transcription_id,
        state.cursor.run,
        doc or {},
        Ending(
            status,
            reason,
            parser.complete,
            chunk.finish_reason,
            chunk.usage,
            chunk.timings,
            (doc or {}).get("model") or chunk.model,
        ),
    )
    for name in ("model", "plan", "duration_ms"):
        if (doc or {}).get(name) is None and getattr(chunk, name) is not None:
            fields[name] = getattr(chunk, name)
    return fields


@dataclass(frozen=True)
class Ending:
    """How a run ends, as the document records it."""

    status: Status
    reason: str | None
    complete: bool
    finish_reason: str | None
    usage: Usage | None
    timings: dict[str, float] | None
    model: str | None


def terminal_fields(
    transcription_id: str, run: Run, doc: dict[str, Any], ending: Ending
) -> dict[str, Any]:
    """The document fields of a finished run: status, accounting, the event to publish."""
    return {
        "status": ending.status.value,
        "reason": ending.reason,
        "complete": ending.complete,
        "finish_reason": ending.finish_reason,
        "usage": ending.usage.model_dump() if ending.usage else None,
        "cost": estimate_cost(
            ending.model, ending.usage, doc.get("has_video") is False, get_settings().prices
        ),
        "timings": ending.timings,
        "finished_at": firestore.SERVER_TIMESTAMP,
        "event": {
            "id": event_id(transcription_id, run),
            "type": event_type(ending.status),
            "published": False,
        },
    }
