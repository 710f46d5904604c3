"""Record one chunk of a single run on the transcription document (the recorder's sequence,
`recorder`: in `seq` order, once, for the newest run, in one atomic commit).

- The first chunk seen of a newer run resets the store's fields and deletes the old run's pages
  and buffered chunks in the same commit, so readers never see pages of two runs.
- A chunk's rows fill the run's pages and statistics (`state`); the final chunk adds the
  terminal fields (`ending`), whose completion event `finish` publishes.

docs/decisions/0003-store-idempotency.md explains the choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core.messages import ResultChunk
from functions.format.parser import StreamParser
from functions.store import ending, recorder
from functions.store.state import Cursor, Run, RunState
from functions.store.writes import WritePlan


def record(chunk: ResultChunk, load_text: recorder.TextLoader) -> recorder.Recorded:
    """Record a single run's chunk on its transcription document."""
    return recorder.record(chunk, load_text, RunBook.open)


@dataclass
class RunBook:
    """A single run's book: the transcription document itself."""

    ref: firestore.DocumentReference
    read_at: Any
    doc: dict[str, Any]
    state: RunState
    new_run: bool  # no chunk of this run on the document yet: the old run's pages go
    final: dict[str, Any] | None = None  # the terminal fields, once the final chunk applied
    # the duration the progress share is computed from: None (the share written unknown)
    # while the delivery only buffers a chunk in `pending`
    duration_ms: int | None = None
    name = "run"

    @classmethod
    def open(
        cls, client: firestore.Client, chunk: ResultChunk, snapshot: recorder.Snapshot
    ) -> RunBook:
        doc = snapshot.to_dict() or {}
        run, stored = Run.of(chunk), doc.get("store") or {}
        known = bool(stored) and Run(**stored["run"]) == run
        state = RunState.from_doc(doc) if known else RunState.fresh(run)
        return cls(snapshot.reference, snapshot.update_time, doc, state, not known)

    @property
    def position(self) -> Cursor:
        return self.state.cursor

    def begin(self, plan: WritePlan) -> None:
        if self.new_run:
            plan.reset()

    def apply(self, plan: WritePlan, chunk: ResultChunk, text: str) -> None:
        self.duration_ms = self.doc.get("duration_ms")
        duration_ms = self.duration_ms or chunk.duration_ms
        parser = StreamParser(duration_ms, state=chunk.state)
        rows = parser.feed(text, final=chunk.final)
        issues = [*parser.issues, *(chunk.issues or [])]
        plan.pages(self.state.add(rows, issues, events_table=parser.events is not None))
        if chunk.final:
            plan.pages(self.state.finish(duration_ms))
            self.final = ending.single_run_fields(chunk, parser.complete, self.doc, self.state)

    def save(self, plan: WritePlan) -> None:
        final = self.final or {}
        plan.document(self.state, final, self.duration_ms or final.get("duration_ms"))

    def event_pending(self) -> bool:
        event = (self.final or self.doc).get("event") or {}
        return self.state.cursor.finished and not event.get("published")
