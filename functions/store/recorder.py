"""Record one chunk in `seq` order, once, for the newest run, in one atomic commit: the sequence
a single run (`ledger`) and a clip of a long run (`clips`) share; each is a `Book`.

- Only chunks of the run the transcriber claimed (the transcription document's `run`) are
  accepted; anything else it did not announce is refused (`accept`, decision 0008).
- A chunk of an older run than the document's (`run`, written by the transcriber, or
  `store.run`) is superseded: nothing is written. The book may supersede more (an older clip
  attempt) or refuse more (a clip nobody claimed).
- `seq < next_seq`: a duplicate, nothing is written. Nothing follows the final chunk: later
  seqs are refused.
- `seq > next_seq`: buffered as `pending/{generation}-{attempt}-{seq}` on the book's document;
  applied when the gap fills. `seq == next_seq`: applied, then every buffered successor, then
  the pending docs deleted; buffered ones numbered after a final chunk are dropped.

docs/decisions/0003-store-idempotency.md explains the choice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from google.cloud import firestore

from functions.core import logs
from functions.core.documents import TRANSCRIPTIONS
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.store import accept
from functions.store.state import Run, current_run
from functions.store.writes import CHANGED, MAX_ATTEMPTS, PENDING, WritePlan, pending_id

log = logs.get_logger("store")

Action = Literal["superseded", "duplicate", "buffered", "applied"]
TextLoader = Callable[[ResultChunk], str]
Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


@dataclass
class Recorded:
    action: Action
    run: Run
    applied: list[int] = field(default_factory=list)
    finished: bool = False  # the run (or clip) has finished (now or before)
    event_pending: bool = False  # …and its completion event is not recorded as published
    writes: int = 0


class Position(Protocol):
    """Where a run stands on its book: the next `seq` to apply, the later ones waiting in
    `pending`, and whether its final chunk was applied."""

    next_seq: int
    buffered: list[int]
    finished: bool


class Book(Protocol):
    """The document one run's chunks are recorded on, as read for one delivery, and what
    applying a chunk means there."""

    name: str  # whose final chunk ends it, in messages: "run" or "clip"
    ref: firestore.DocumentReference
    read_at: Any  # the document's update time as read: the commit's precondition

    @property
    def position(self) -> Position:
        """The run's position (fresh before its first chunk on the document)."""

    def begin(self, plan: WritePlan) -> None:
        """The first writes, once the chunk is accepted (a new run clears the old one's)."""

    def apply(self, plan: WritePlan, chunk: ResultChunk, text: str) -> None:
        """Apply the next chunk in order; after a final chunk the run's state is finished."""

    def save(self, plan: WritePlan) -> None:
        """The document's update: the state after buffering or applying."""

    def event_pending(self) -> bool:
        """Whether the run has finished and its completion event waits to be published."""


# Read the book a chunk lands on, given its transcription document (claimed, and the chunk of
# the claim's run or an older one): None if the chunk is superseded there; raises
# `accept.Refused` if the book does not accept it.
Open = Callable[[firestore.Client, ResultChunk, Snapshot], Book | None]


def record(chunk: ResultChunk, load_text: TextLoader, open_book: Open) -> Recorded:
    """Read the documents, decide, and commit every write at once on the condition that the
    book's document is unchanged since the read (optimistic concurrency: no transaction to
    begin, no locks to wait for); if it changed, read again (decision 0003)."""
    from functions.core import clients

    client = clients.firestore_client(get_settings().firestore_database)
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _record(client, chunk, load_text, open_book)
        except CHANGED:  # another chunk, a heartbeat or a merge wrote it: let it finish
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))
    raise RuntimeError(f"chunk {chunk.seq}: the document kept changing; Pub/Sub will redeliver")


def _record(
    client: firestore.Client, chunk: ResultChunk, load_text: TextLoader, open_book: Open
) -> Recorded:
    run = Run.of(chunk)
    snapshot = client.collection(TRANSCRIPTIONS).document(chunk.transcription_id).get()
    doc: dict[str, Any] | None = snapshot.to_dict() if snapshot.exists else None
    claimed = accept.claimed_run(doc)
    assert doc is not None  # a claimed run implies a document
    newest = current_run(doc)
    if newest is not None and run.key < newest.key:
        return Recorded("superseded", run)
    accept.check_run(chunk, claimed)
    book = open_book(client, chunk, snapshot)
    if book is None:
        return Recorded("superseded", run)
    position = book.position
    if chunk.seq < position.next_seq:
        pending = book.event_pending()
        return Recorded("duplicate", run, finished=position.finished, event_pending=pending)
    if position.finished:
        raise accept.Refused(f"chunk {chunk.seq} comes after the {book.name}'s final chunk")
    accept.check_text_uri(chunk, doc)

    plan = WritePlan(client, book.ref, book.read_at, run, doc.get("owner"))
    book.begin(plan)
    if chunk.seq > position.next_seq:
        plan.buffer(chunk)
        position.buffered = sorted({*position.buffered, chunk.seq})
        book.save(plan)
        return Recorded("buffered", run, writes=plan.commit())

    applied = []
    for current in _chain(book.ref, chunk, set(position.buffered)):
        book.apply(plan, current, load_text(current))
        position.next_seq = current.seq + 1
        applied.append(current.seq)
        if current is not chunk:
            plan.delete_pending(current)
            position.buffered.remove(current.seq)
        if current.final:
            _drop_beyond_final(plan, current, position.buffered)
            position.buffered = []
            break
    book.save(plan)
    finished, pending = position.finished, book.event_pending()
    return Recorded("applied", run, applied, finished, pending, plan.commit())


def _drop_beyond_final(plan: WritePlan, final: ResultChunk, buffered: list[int]) -> None:
    """Buffered chunks numbered after the final one belong to no run: delete them."""
    for seq in buffered:
        plan.delete_pending(final, seq)
        extra = {"transcription_id": final.transcription_id, "seq": seq}
        log.warning("buffered chunk after the final chunk dropped", extra=extra)


def _chain(
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
