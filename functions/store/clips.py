"""Record one chunk of a clip run (decision 0010) on the clip's own document, in `seq` order, once.

A long upload's run fans out into clips; each clip is claimed and streamed like a run of its
own. Its chunks land on `transcriptions/{id}/clips/{generation}-{attempt}-{index}` — the clip
document the transcriber's claim created — never on the transcription document, so K clips
streaming at once do not contend for one document (`merging` then writes that one, throttled).
The rules are the recorder's (decision 0003, 0008), applied to the clip: only chunks of the
transcription's current run and of the clip's claimed attempt are accepted; an older attempt
is superseded; a newer one, or a chunk after the clip's final one, is refused; early chunks wait
in the clip's `pending` collection. The voices pass (clip `count`, after the last) is recorded
the same way; its answer is kept raw for the merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core.documents import clip_path
from functions.core.messages import ResultChunk
from functions.format.parser import StreamParser
from functions.store import accept, recorder
from functions.store.state import ClipState
from functions.store.writes import WritePlan


def clip_ref(client: firestore.Client, chunk: ResultChunk) -> firestore.DocumentReference:
    assert chunk.clip is not None
    path = clip_path(chunk.transcription_id, chunk.generation, chunk.attempt, chunk.clip.index)
    ref: firestore.DocumentReference = client.document(path)
    return ref


def record(chunk: ResultChunk, load_text: recorder.TextLoader) -> recorder.Recorded:
    """Record a clip chunk on its clip document; `finished` when it was (or is now) the clip's
    final chunk, so the caller merges the clip into the transcription at once."""
    return recorder.record(chunk, load_text, ClipBook.open)


@dataclass
class ClipBook:
    """A clip's book: the clip's own document, holding its `ClipState` as `store`."""

    ref: firestore.DocumentReference
    read_at: Any
    state: ClipState
    voices: bool  # the voices pass: its answer is kept raw
    name = "clip"

    @classmethod
    def open(
        cls, client: firestore.Client, chunk: ResultChunk, snapshot: recorder.Snapshot
    ) -> ClipBook | None:
        """The clip's book, or None when the chunk is of an older attempt than the claimed."""
        assert chunk.clip is not None
        doc = snapshot.to_dict() or {}
        accept.check_clip(chunk, doc)
        ref = clip_ref(client, chunk)
        clip_snapshot = ref.get()
        clip_doc = clip_snapshot.to_dict() or {}
        if not clip_doc:
            raise accept.Refused(f"clip {chunk.clip.index} of this run was never claimed")
        claimed = accept.claimed_run(clip_doc)
        if chunk.clip.attempt < claimed.attempt:
            return None
        if chunk.clip.attempt > claimed.attempt:
            raise accept.Refused(f"clip attempt {chunk.clip.attempt} was never claimed")
        stored = clip_doc.get("store") or {}
        state = (
            ClipState.model_validate(stored)
            if stored.get("attempt") == chunk.clip.attempt
            else ClipState(attempt=chunk.clip.attempt)
        )
        voices = chunk.clip.index == (doc.get("clips") or {}).get("count")
        return cls(ref, clip_snapshot.update_time, state, voices)

    @property
    def position(self) -> ClipState:
        return self.state

    def begin(self, plan: WritePlan) -> None:
        """Nothing to clear: a new attempt's state replaces the old one's, and its pending ids
        are its own."""

    def apply(self, plan: WritePlan, chunk: ResultChunk, text: str) -> None:
        parser = StreamParser(None, state=chunk.state)
        self.state.feed(chunk, text, parser, self.voices)
        if chunk.final:
            self.state.finish(chunk, parser)

    def save(self, plan: WritePlan) -> None:
        plan.update({"store": self.state.model_dump()})

    def event_pending(self) -> bool:
        return False  # the run's completion event waits on the merge of its clips (`merging`)
