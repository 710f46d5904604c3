"""The writes of one chunk, planned while the recorder decides and committed together at the end.

Every write rides in one batch whose document write is guarded by the document's update time as
read (docs/decisions/0003-store-idempotency.md): if anyone wrote the document since, nothing of
the batch lands (it raises one of `CHANGED`) and the recorder reads and decides again, at most
`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore

from functions.core.documents import PAGES, TRANSLATIONS, Status
from functions.core.messages import ResultChunk
from functions.store.state import Page, Run, RunState, page_id

PENDING = "pending"
MAX_ATTEMPTS = 10
# What a commit guarded by the document's state raises when the document changed since the read.
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)
MAX_PENDING_BYTES = 900_000  # a buffered chunk must fit in one document


def pending_id(chunk: ResultChunk, seq: int | None = None) -> str:
    """Where chunk `seq` (default: the chunk's own) of the chunk's run waits for its turn."""
    clip = f"c{chunk.clip.index:03d}-{chunk.clip.attempt}-" if chunk.clip else ""
    return f"{chunk.generation}-{chunk.attempt}-{clip}{chunk.seq if seq is None else seq:06d}"


# Terminal fields of a previous run, cleared when a new run starts.
_RUN_FIELDS = (
    "reason",
    "complete",
    "finish_reason",
    "usage",
    "cost",
    "timings",
    "finished_at",
    "event",
    "exports",
)


class WritePlan:
    """The writes of one chunk, committed together, guarded by the document's state as read."""

    def __init__(
        self,
        client: firestore.Client,
        ref: firestore.DocumentReference,
        read_at: Any,
        run: Run,
        owner: Any,
    ) -> None:
        self.client, self.ref, self.run, self.owner = client, ref, run, owner
        self.read_at = read_at  # the document's update time as read: the commit's precondition
        self.batch = client.batch()
        self._writes: list[Callable[[], None]] = []
        self._reset_fields: dict[str, Any] = {}

    def reset(self) -> None:
        """A new run: delete the previous runs' pages, their translations' (decision 0026) and
        buffered chunks; clear the outcome.

        Both are listed rather than taken from the document's cursor: a new generation's claim
        replaces the whole document, cursor included, while the old pages remain. Whoever writes
        a page or a buffered chunk also writes the document, so one written after this listing
        fails our commit's precondition, and we list again.
        """
        for collection in (PAGES, PENDING):
            for snapshot in self.ref.collection(collection).select([]).stream():
                self._delete(snapshot.reference)
        for translation in self.ref.collection(TRANSLATIONS).list_documents():
            for snapshot in translation.collection(PAGES).select([]).stream():
                self._delete(snapshot.reference)
            self._delete(translation)
        self._reset_fields = {**dict.fromkeys(_RUN_FIELDS), "events": firestore.DELETE_FIELD}

    def _delete(self, ref: firestore.DocumentReference) -> None:
        self._writes.append(lambda: self.batch.delete(ref))

    def buffer(self, chunk: ResultChunk) -> None:
        body = chunk.model_dump_json()
        if len(body.encode()) > MAX_PENDING_BYTES:
            raise RuntimeError(f"chunk {chunk.seq} arrived early and is too large to buffer")
        ref = self.ref.collection(PENDING).document(pending_id(chunk))
        self._writes.append(lambda: self.batch.set(ref, {"chunk": body}))

    def delete_pending(self, chunk: ResultChunk, seq: int | None = None) -> None:
        self._delete(self.ref.collection(PENDING).document(pending_id(chunk, seq)))

    def pages(self, pages: list[Page]) -> None:
        for page in pages:
            self._writes.append(lambda page=page: self._write_page(page))  # type: ignore[misc]

    def delete_page(self, index: int) -> None:
        self._delete(self.ref.collection(PAGES).document(page_id(index)))

    def _write_page(self, page: Page) -> None:
        segments = page.segments
        self.batch.set(
            self.ref.collection(PAGES).document(page.doc_id),
            {
                "index": page.index,
                "owner": self.owner,
                "run": self.run.model_dump(),
                "count": len(segments),
                "first_start_ms": segments[0]["start_ms"],
                "last_start_ms": segments[-1]["start_ms"],
                "segments": segments,
            },
        )

    def document(self, state: RunState, final: dict[str, Any], duration_ms: int | None) -> None:
        """The document's update, guarded: it fails if anyone wrote the document since our read
        (the store only ever updates a document the transcriber's claim created)."""
        fields = {**self._reset_fields, **state.fields(duration_ms), **final}
        if final.get("status") == Status.COMPLETED.value and final.get("complete"):
            fields["progress"]["fraction"] = 1.0  # a cut-off run keeps the share it covered
        self.update(fields)

    def update(self, fields: dict[str, Any]) -> None:
        """Update the plan's document with `fields`, guarded by its update time as read."""
        fields = {**fields, "updated_at": firestore.SERVER_TIMESTAMP}
        unchanged = self.client.write_option(last_update_time=self.read_at)
        self._writes.append(lambda: self.batch.update(self.ref, fields, option=unchanged))

    def commit(self) -> int:
        """Commit every write at once; raises one of `CHANGED` if the document changed."""
        for write in self._writes:
            write()
        self.batch.commit()
        return len(self._writes)
