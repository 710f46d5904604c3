"""How a run ends, as its document records it: the terminal status and reason, usage and cost,
the completion event to publish (`finish` publishes it).

A single run ends with its final chunk (`single_run_fields`); a run fanned out into clips ends
with the merge that reads every clip's final chunk, or the voices pass's (`merged_run_fields`).
Both end the same way: `terminal_fields` of an `Ending`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core.documents import Status
from functions.core.events import event_id, event_type
from functions.core.messages import ResultChunk, Usage, enrichment_kind
from functions.core.settings import get_settings
from functions.format.merge import Merged
from functions.store.cost import estimate_cost
from functions.store.state import ClipState, Run, RunState


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
    segments: int


def terminal_fields(
    transcription_id: str, run: Run, doc: dict[str, Any], ending: Ending
) -> dict[str, Any]:
    """The document fields of a finished run: status, accounting, the event to publish, and the
    enrichments it asked for, started when it completed with a transcript (decision 0026)."""
    return enrichments(run, doc, ending) | {
        "status": ending.status.value,
        "reason": ending.reason,
        "complete": ending.complete,
        "finish_reason": ending.finish_reason,
        "usage": ending.usage.model_dump() if ending.usage else None,
        "cost": estimate_cost(
            ending.model,
            ending.usage,
            doc.get("has_video") is False,
            get_settings().prices,
            tier="batch" if doc.get("priority") == "batch" else "standard",  # decision 0033
        ),
        "timings": ending.timings,
        "finished_at": firestore.SERVER_TIMESTAMP,
        "event": {
            "id": event_id(transcription_id, run),
            "type": event_type(ending.status),
            "published": False,
        },
    }


def enrichments(run: Run, doc: dict[str, Any], ending: Ending) -> dict[str, Any]:
    """`enrichments.{name}` `processing` for each enrichment the run asked (`asked_enrichments`),
    if it completed with at least one segment; nothing otherwise (the field stays absent)."""
    asked = doc.get("asked_enrichments") or []
    if ending.status is not Status.COMPLETED or ending.segments == 0 or not asked:
        return {}
    return {"enrichments": {name: _processing(name, run) for name in asked}}


def _processing(name: str, run: Run) -> dict[str, Any]:
    kind, lang = enrichment_kind(name)
    return {
        "kind": kind,
        "lang": lang,
        "status": Status.PROCESSING.value,
        "run": run.model_dump(),
        "asked_at": firestore.SERVER_TIMESTAMP,
    }


def single_run_fields(
    chunk: ResultChunk, complete: bool, doc: dict[str, Any] | None, state: RunState
) -> dict[str, Any]:
    """What a single run's final chunk adds: terminal status and reason, accounting, the event to
    publish; `complete` when the parser read both tables whole."""
    assert chunk.outcome is not None
    status, reason = Status(chunk.outcome), chunk.reason
    if status is Status.COMPLETED and state.cursor.segments == 0 and not complete:
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
            complete,
            chunk.finish_reason,
            chunk.usage,
            chunk.timings,
            (doc or {}).get("model") or chunk.model,
            state.cursor.segments,
        ),
    )
    for name in ("model", "plan", "duration_ms"):
        if (doc or {}).get(name) is None and getattr(chunk, name) is not None:
            fields[name] = getattr(chunk, name)
    return fields


def merged_run_fields(
    transcription_id: str,
    run: Run,
    doc: dict[str, Any],
    states: list[ClipState],
    pass_state: ClipState | None,
    merged: Merged,
    state: RunState,
) -> dict[str, Any]:
    """The run ends when its last clip (or the voices pass) does: `completed` with gaps
    recorded, unless no clip gave a transcript (then the first clip's failure is the run's).
    Usage adds up every request: the clips and the voices pass."""
    status, reason = Status.COMPLETED, None
    if state.cursor.segments == 0:
        failed = next((s for s in states if s.outcome != Status.COMPLETED.value), None)
        status = Status(failed.outcome) if failed and failed.outcome else Status.FAILED
        reason = f"no clip gave a transcript: {failed.reason if failed else 'all were empty'}"
    finish_reasons = sorted({s.finish_reason or "?" for s in states})
    slowest = max(((s.timings or {}).get("total_s", 0.0) for s in states), default=0.0)
    ending = Ending(
        status,
        reason,
        merged.complete,
        finish_reasons[0] if len(finish_reasons) == 1 else ",".join(finish_reasons),
        _total_usage([*states, *([pass_state] if pass_state else [])]),
        {"clips": float(len(states)), "slowest_clip_s": slowest},
        doc.get("model"),
        state.cursor.segments,
    )
    return terminal_fields(transcription_id, run, doc, ending)


def _total_usage(states: list[ClipState]) -> Usage | None:
    return Usage.total(Usage.model_validate(s.usage) for s in states if s.usage)
