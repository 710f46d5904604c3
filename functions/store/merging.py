"""Merge a fanned-out run's clips into the layout apps read: the document, its pages, the live page.

After a clip chunk is recorded on its clip document (`clips`), the clips are merged
(`functions.format.merge`: absolute times, each overlap once, one voice per person) and the
result is written the way a single run's is: full pages, the growing `live_page`, speakers with
statistics, progress. The merged transcript is rebuilt from the clip documents every time, so any
merge gives the same pages for the same clips; only pages whose content changed are written
(their hashes are kept in `clips.page_hashes`). The document is written at most about once per
`MIN_INTERVAL_S` while clips stream (Firestore's guidance for one document), final chunks
included. The merge that reads every clip's final chunk ends the run, unless voices remain that
the merge could not confirm: then it asks the voices pass (`voices`), and the merge of its answer
ends the run. The run ends like a single run: terminal status, usage and cost summed over the
clips and the voices pass, the completion event. Decision 0010 explains the choice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core.documents import TRANSCRIPTIONS, Status, clip_path
from functions.core.messages import ClipTag
from functions.core.settings import get_settings
from functions.format.merge import ClipAnswer, Merged, merge
from functions.format.models import Event, Issue, Segment, Speaker
from functions.format.rows import Row
from functions.store import ending, voices
from functions.store.state import ClipState, Page, Run, RunState, current_run
from functions.store.writes import CHANGED, WritePlan

MIN_INTERVAL_S = 1.0
MAX_CONFLICTS = 40  # K clips finishing together: each merge waits its turn
MAX_WAIT_S = 30.0  # then Pub/Sub redelivers the chunk (a document written nonstop by others)


@dataclass(frozen=True)
class MergeResult:
    action: str  # merged, covered (a later merge read the chunks), superseded, finished,
    # voices asked (every clip merged; the voices pass asked), partial pass (nothing to merge)
    finished: bool = False
    event_pending: bool = False
    writes: int = 0


def merge_run(
    transcription_id: str, run: Run, clip: ClipTag, through: int, clip_finished: bool
) -> MergeResult:
    """Merge the run's clips into its document once it holds `clip`'s chunks before `through`.

    While the document was written less than `MIN_INTERVAL_S` ago, wait for the interval to
    pass, then merge unless a merge meanwhile took those chunks in (`clips.merged` records what
    each merge read). A clip's final chunk waits too: clips of equal length finish together, and
    their final merges would otherwise land a fraction of a second apart. The voices pass's answer
    counts only whole: its chunks before the last change nothing, and a write for them would hold
    the last one back by the interval."""
    from functions.core import clients

    client = clients.firestore_client(get_settings().firestore_database)
    ref = client.collection(TRANSCRIPTIONS).document(transcription_id)
    conflicts, deadline = 0, time.monotonic() + MAX_WAIT_S
    while True:
        snapshot = ref.get()
        doc = snapshot.to_dict() or {}
        newest = current_run(doc)
        if newest is None or newest.key != run.key:
            return MergeResult("superseded")
        store = doc.get("store") or {}
        if store.get("finished") and _merged_before(doc, run):
            published = bool((doc.get("event") or {}).get("published"))
            return MergeResult("finished", True, not published)
        if _merged(doc, run, clip, through):
            return MergeResult("covered")
        if clip.index == (doc.get("clips") or {}).get("count") and not clip_finished:
            return MergeResult("partial pass")
        wait = _wait(snapshot)
        if wait > 0 and time.monotonic() + wait < deadline:
            time.sleep(wait + random.uniform(0, 0.1))
            continue
        try:
            return _merge(client, ref, snapshot, doc, run)
        except CHANGED:  # another clip's merge landed first: merge again over its result
            conflicts += 1
            if conflicts >= MAX_CONFLICTS:
                raise RuntimeError("the transcription kept changing; Pub/Sub redelivers") from None
            time.sleep(random.uniform(0, 0.1 * min(conflicts, 10)))


def _merged(doc: dict[str, Any], run: Run, clip: ClipTag, through: int) -> bool:
    """Whether the last merge of `run` read `clip`'s chunks before `through`."""
    if not _merged_before(doc, run):
        return False
    merged = ((doc.get("clips") or {}).get("merged") or {}).get(str(clip.index)) or {}
    return merged.get("attempt") == clip.attempt and merged.get("next_seq", 0) >= through


def _merged_before(doc: dict[str, Any], run: Run) -> bool:
    """Whether the document holds a merge of `run` (else its first merge resets it)."""
    return (doc.get("store") or {}).get("run") == run.model_dump()


def _wait(snapshot: Any) -> float:
    """Seconds until the document may be written again."""
    if snapshot.update_time is None:
        return 0.0
    since: float = (dt.datetime.now(dt.UTC) - snapshot.update_time).total_seconds()
    return max(MIN_INTERVAL_S - since, 0.0)


def _merge(
    client: firestore.Client,
    ref: firestore.DocumentReference,
    snapshot: Any,
    doc: dict[str, Any],
    run: Run,
) -> MergeResult:
    clips, pass_state = _clip_states(client, ref, doc, run)
    answers = [answer for answer, _ in clips]
    merged = merge(answers)
    done = all(state is not None and state.finished for _, state in clips)
    asked = voices.to_ask(merged) if done else []
    if asked and pass_state is not None and pass_state.finished:
        merged, asked = voices.apply(answers, merged, pass_state), []
    finished = done and not asked
    duration_ms = doc.get("duration_ms")
    state = RunState.fresh(run)
    rows: list[Row] = [*merged.segments, *merged.speakers, *(merged.events or [])]
    pages = state.add(rows, merged.issues, events_table=merged.events is not None)
    if finished:
        pages += state.finish(duration_ms)
    plan = WritePlan(client, ref, snapshot.update_time, run, doc.get("owner"))
    hashes = _write_pages(plan, doc, run, pages)
    fields = {
        "progress": _progress(state, merged, clips, duration_ms),
        "clips.page_hashes": hashes,
        "clips.merged": {
            str(answer.index): {"attempt": recorded.attempt, "next_seq": recorded.next_seq}
            for answer, recorded in clips
            if recorded is not None
        },
    }
    if asked and not (doc.get("clips") or {}).get("voices"):
        # asked before the document says so: if the write fails, the next merge asks again
        # (a duplicate task is claimed once); once it says so, nobody asks twice
        voices.ask(ref.id, doc, run, asked)
        fields["clips.voices"] = {"asked": len(asked), "unconfirmed": merged.unconfirmed}
    if finished:
        states = [s for _, s in clips if s]
        fields |= ending.merged_run_fields(ref.id, run, doc, states, pass_state, merged, state)
    plan.document(state, fields, duration_ms)
    writes = plan.commit()
    return MergeResult("voices asked" if asked else "merged", finished, finished, writes)


def _clip_states(
    client: firestore.Client, ref: firestore.DocumentReference, doc: dict[str, Any], run: Run
) -> tuple[list[tuple[ClipAnswer, ClipState | None]], ClipState | None]:
    """Each planned clip's answer so far (and its recorded state, once it has one), and the
    voices pass's recorded state, if any."""
    ranges = (doc.get("clips") or {}).get("ranges") or []
    indexes = [r["index"] for r in ranges] + [len(ranges)]  # the voices pass comes last
    refs = [client.document(clip_path(ref.id, run.generation, run.attempt, i)) for i in indexes]
    found = {s.id: s.to_dict() or {} for s in client.get_all(refs)}
    states = [_recorded(found.get(clip_ref.id) or {}) for clip_ref in refs]
    clips = [(_answer(r, state), state) for r, state in zip(ranges, states, strict=False)]
    return clips, states[-1]


def _recorded(clip_doc: dict[str, Any]) -> ClipState | None:
    """The clip's recorded state of its claimed attempt (None before its first chunk)."""
    stored = clip_doc.get("store")
    claimed = (clip_doc.get("run") or {}).get("attempt")
    return ClipState.model_validate(stored) if stored and stored["attempt"] == claimed else None


def _answer(clip_range: dict[str, int], state: ClipState | None) -> ClipAnswer:
    start, end, index = clip_range["start_ms"], clip_range["end_ms"], clip_range["index"]
    if state is None:
        return ClipAnswer(index, start, end, [], [], complete=False, finished=False)
    segments = [Segment(**s) for s in state.segments]
    gap = None
    silent = state.outcome == Status.COMPLETED.value and state.complete  # two whole, empty tables
    if state.finished and not segments and not silent:
        gap = state.reason or "the model's answer holds no transcript"
    return ClipAnswer(
        index,
        start,
        end,
        segments,
        [Speaker(**s) for s in state.speakers],
        complete=state.complete and state.outcome == Status.COMPLETED.value,
        finished=state.finished,
        gap=gap,
        issues=[Issue(**issue) for issue in state.issues],
        events=None if state.events is None else [Event(**event) for event in state.events],
    )


def _write_pages(plan: WritePlan, doc: dict[str, Any], run: Run, pages: list[Page]) -> list[str]:
    """Write the pages whose content changed since the last merge of this run (all of them,
    and the old runs' pages deleted, at its first merge); their hashes."""
    before = (
        ((doc.get("clips") or {}).get("page_hashes") or []) if _merged_before(doc, run) else None
    )
    if before is None:
        plan.reset()
    hashes = [_hash(page) for page in pages]
    plan.pages(
        [
            page
            for page, digest in zip(pages, hashes, strict=True)
            if before is None or page.index >= len(before) or before[page.index] != digest
        ]
    )
    for index in range(len(pages), len(before or [])):
        plan.delete_page(index)
    return hashes


def _hash(page: Page) -> str:
    body = json.dumps(page.segments, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(body).hexdigest()[:16]


def _progress(
    state: RunState,
    merged: Merged,
    clips: list[tuple[ClipAnswer, ClipState | None]],
    duration_ms: int | None,
) -> dict[str, Any]:
    """Progress as the share of the media the merged transcript covers, and clips done."""
    fraction = round(min(merged.covered_ms / duration_ms, 1.0), 4) if duration_ms else None
    return {
        "segments": state.cursor.segments,
        "last_start_ms": state.cursor.last_start_ms,
        "fraction": fraction,
        "clips": len(clips),
        "clips_done": sum(1 for _, s in clips if s is not None and s.finished),
    }
