"""Record one chunk of a clip run (decision 0010) on the clip's own document, in `seq` order, once.

A long upload's run fans out into clips; each clip is claimed and streamed like a run of its
own. Its chunks land on `transcriptions/{id}/clips/{generation}-{attempt}-{index}` — the clip
document the transcriber's claim created — never on the transcription document, so K clips
streaming at once do not contend for one document (`merging` then writes that one, throttled).
The rules are the ledger's (decision 0003, 0008), applied to the clip: only chunks of the
transcription's current run and of the clip's claimed attempt are accepted; an older attempt
is superseded; a newer one, or a chunk after the clip's final one, is refused; early chunks wait
in the clip's `pending` collection. The voices pass (clip `count`, after the last) is recorded
the same way; its answer is kept raw for the merge.
"""

from __future__ import annotations

import random
import time
from typing import Any

from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field

from functions.core.documents import TRANSCRIPTIONS, clip_path
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.format.models import Issue, Segment, Speaker
from functions.format.parser import StreamParser
from functions.store import accept
from functions.store.ledger import (
    CHANGED,
    MAX_ATTEMPTS,
    Recorded,
    TextLoader,
    chain,
    current_run,
    drop_beyond_final,
)
from functions.store.state import MAX_ISSUES, MAX_SPEAKERS, Run, stored_segment
from functions.store.writes import WritePlan

MAX_CLIP_BYTES = 800_000  # the clip's rows must fit its document (1 MiB)
MAX_ANSWER_CHARS = 20_000  # the voices pass's answer: a row per voice


class ClipState(BaseModel):
    """What the store keeps of one clip attempt: its rows as the model wrote them (the clip's
    voice numbers and timecodes), and how it ended. Stored as the clip document's `store`."""

    model_config = ConfigDict(extra="forbid")

    attempt: int = Field(ge=1)
    next_seq: int = 0
    buffered: list[int] = Field(default_factory=list)
    segments: list[dict[str, Any]] = Field(default_factory=list)
    speakers: list[dict[str, Any]] = Field(default_factory=list)
    issues: list[dict[str, Any]] = Field(default_factory=list)
    issues_total: int = 0
    bytes: int = 0
    finished: bool = False
    complete: bool = False
    outcome: str | None = None
    reason: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, float] | None = None
    answer: str | None = None  # the voices pass's raw answer (it has no transcript rows)

    def feed(self, chunk: ResultChunk, text: str, parser: StreamParser, voices: bool) -> None:
        """Take a chunk's text: parsed rows, or for the voices pass the raw answer."""
        if voices:
            self.answer = ((self.answer or "") + text)[:MAX_ANSWER_CHARS]
        else:
            rows = parser.feed(text, final=chunk.final)
            self.add(rows, [*parser.issues, *(chunk.issues or [])])

    def add(self, rows: list[Segment | Speaker], issues: list[Issue]) -> None:
        for row in rows:
            if isinstance(row, Speaker):
                self._add_speaker(row)
            elif self.bytes + len(row.text) <= MAX_CLIP_BYTES:
                self.segments.append(stored_segment(row))
                self.bytes += len(row.text)
            else:
                issues = [*issues, Issue(code="clip_too_large", message="clip rows dropped")]
        self.issues += [i.model_dump() for i in issues][: max(MAX_ISSUES - len(self.issues), 0)]
        self.issues_total += len(issues)

    def _add_speaker(self, speaker: Speaker) -> None:
        if len(self.speakers) < MAX_SPEAKERS and all(
            s["voice"] != speaker.voice for s in self.speakers
        ):
            self.speakers.append(speaker.model_dump())

    def finish(self, chunk: ResultChunk, parser: StreamParser) -> None:
        self.finished, self.complete = True, parser.complete
        self.outcome, self.reason = chunk.outcome, chunk.reason
        self.finish_reason, self.timings = chunk.finish_reason, chunk.timings
        self.usage = chunk.usage.model_dump() if chunk.usage else None


def clip_ref(client: firestore.Client, chunk: ResultChunk) -> firestore.DocumentReference:
    assert chunk.clip is not None
    path = clip_path(chunk.transcription_id, chunk.generation, chunk.attempt, chunk.clip.index)
    ref: firestore.DocumentReference = client.document(path)
    return ref


def record(chunk: ResultChunk, load_text: TextLoader) -> Recorded:
    """Record a clip chunk on its clip document; `finished` when it was (or is now) the clip's
    final chunk, so the caller merges the clip into the transcription at once."""
    from functions.core import clients

    client = clients.firestore_client(get_settings().firestore_database)
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _record(client, chunk, load_text)
        except CHANGED:  # a heartbeat or another chunk of the clip wrote it: read again
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))
    raise RuntimeError(f"clip chunk {chunk.seq}: the document kept changing; Pub/Sub redelivers")


def _record(client: firestore.Client, chunk: ResultChunk, load_text: TextLoader) -> Recorded:
    assert chunk.clip is not None
    run = Run.of(chunk)
    doc = client.collection(TRANSCRIPTIONS).document(chunk.transcription_id).get().to_dict()
    claimed = accept.claimed_run(doc)
    assert doc is not None
    newest = current_run(doc)
    if newest is not None and run.key < newest.key:
        return Recorded("superseded", run)
    accept.check_run(chunk, claimed)
    accept.check_clip(chunk, doc)
    ref = clip_ref(client, chunk)
    snapshot = ref.get()
    clip_doc = snapshot.to_dict() or {}
    if not clip_doc:
        raise accept.Refused(f"clip {chunk.clip.index} of this run was never claimed")
    claimed_clip = accept.claimed_run(clip_doc)
    if chunk.clip.attempt < claimed_clip.attempt:
        return Recorded("superseded", run)
    if chunk.clip.attempt > claimed_clip.attempt:
        raise accept.Refused(f"clip attempt {chunk.clip.attempt} was never claimed")
    stored = clip_doc.get("store") or {}
    state = (
        ClipState.model_validate(stored) if stored.get("attempt") == chunk.clip.attempt else None
    )
    if state is not None and chunk.seq < state.next_seq:
        return Recorded("duplicate", run, finished=state.finished)
    if state is not None and state.finished:
        raise accept.Refused(f"chunk {chunk.seq} comes after the clip's final chunk")
    accept.check_text_uri(chunk, doc)
    plan = WritePlan(client, ref, snapshot.update_time, run, doc.get("owner"))
    state = state or ClipState(attempt=chunk.clip.attempt)
    if chunk.seq > state.next_seq:
        plan.buffer(chunk)
        state.buffered = sorted({*state.buffered, chunk.seq})
        plan.update({"store": state.model_dump()})
        return Recorded("buffered", run, writes=plan.commit())
    applied = []
    voices = chunk.clip.index == (doc.get("clips") or {}).get("count")
    for current in chain(ref, chunk, set(state.buffered)):
        parser = StreamParser(None, state=current.state)
        state.feed(current, load_text(current), parser, voices)
        state.next_seq = current.seq + 1
        applied.append(current.seq)
        if current is not chunk:
            plan.delete_pending(current)
            state.buffered.remove(current.seq)
        if current.final:
            state.finish(current, parser)
            drop_beyond_final(plan, current, state.buffered)
            state.buffered = []
            break
    plan.update({"store": state.model_dump()})
    return Recorded("applied", run, applied, state.finished, writes=plan.commit())
