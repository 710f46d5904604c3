"""A clips-topic task is checked against its transcription's document (decision 0021): by the
transcriber before anything is claimed or called, and by the watchdog before a dead-lettered task
ends anything. A task is only a request to do what the upload's run planned.

The upload's run records, when it is prepared (`recorded`), the hashes of the plan and the prompt
of each request it plans: `hashes` for a single run, `clips.hashes[index]` for each clip. A task
must name the document's run and its object (bucket, name, generation, content type, size), a
slot the run has (a clip index below `clips.count`; the voices slot, `count`, only once the store
has recorded asking for it), and carry the plan and prompt the run recorded for that slot. The
store's checks (decision 0008) come after the model's answer; these come before the call.

An enrichment's task (decision 0026) asks for something of a completed run: the run and the object
must be the document's, its `status` `completed`, and `enrichments.{name}` still `processing` for
that very run (the store records it so before it publishes the task).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from functions.core.messages import ClipTask, ContinueTask, EnrichTask, ObjectTask, VoicesTask

SOURCE_FIELDS = ("bucket", "name", "generation", "content_type", "size")
# what the check reads of the document (not its pages, speakers or live page)
FIELDS = [
    "run",
    "source",
    "status",
    "hashes",
    "clips.count",
    "clips.ranges",
    "clips.hashes",
    "clips.voices",
    "enrichments",
]


class NotAskedYet(Exception):
    """A voices task the store has published but not yet recorded: its delivery comes back."""


def plan_hash(plan: dict[str, Any]) -> str:
    """The plan (a request plan's fields, as JSON carries them), hashed."""
    return _hash(json.dumps(plan, sort_keys=True, separators=(",", ":")))


def prompt_hash(prompt: str) -> str:
    return _hash(prompt)


def recorded(plan: dict[str, Any], prompt: str) -> dict[str, str]:
    """What the document records of one planned request."""
    return {"plan": plan_hash(plan), "prompt": prompt_hash(prompt)}


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def refusal(task: ObjectTask, doc: dict[str, Any]) -> str | None:
    """Why `task` does not match the transcription's document `doc`, or None. Raises
    `NotAskedYet` for a matching voices task the store has not recorded yet."""
    why = _foreign(task, doc)
    if why is not None:
        return why
    if isinstance(task, ContinueTask):
        return _continuation(task, doc)
    if isinstance(task, EnrichTask):
        return _not_asked(task, doc) or _ended(task, doc)
    clips = doc.get("clips") or {}
    if isinstance(task, ClipTask):
        return _clip(task, clips)
    if isinstance(task, VoicesTask):
        return _voices(task, clips)
    return f"not a task: {type(task).__name__}"


def ended(task: EnrichTask, doc: dict[str, Any]) -> str | None:
    """Why an enrichment the run asked for is no longer to be done (it completed or failed: a
    duplicate delivery), or None while it is `processing`."""
    return _ended(task, doc)


def not_asked(task: EnrichTask, doc: dict[str, Any]) -> str | None:
    """Why `task` is not an enrichment the document's run asked for, whatever its status now
    (the watchdog's check: a dead-lettered task of an enrichment that ended is still its run's)."""
    return _foreign(task, doc) or _not_asked(task, doc)


def enrich_task(transcription_id: str, doc: dict[str, Any], name: str) -> EnrichTask:
    """The task of the document's enrichment `name`, for the document's run and object."""
    source, run = doc.get("source") or {}, doc.get("run") or {}
    return EnrichTask(
        transcription_id=transcription_id,
        bucket=source["bucket"],
        name=source["name"],
        generation=run["generation"],
        attempt=run["attempt"],
        content_type=source.get("content_type"),
        size=source.get("size"),
        enrichment=name,
        published_at=dt.datetime.now(dt.UTC),
    )


def _foreign(task: ObjectTask, doc: dict[str, Any]) -> str | None:
    """Why `task` is not of the document's run and object."""
    if not doc:
        return "no such transcription"
    run = _run(task)
    if doc.get("run") != run:
        return f"not the transcription's run: the task's is {run}, the document's {doc.get('run')}"
    source = doc.get("source") or {}
    for field in SOURCE_FIELDS:
        if getattr(task, field) != source.get(field):
            return f"not the transcription's object: {field} {getattr(task, field)!r}"
    return None


def _run(task: ObjectTask) -> dict[str, Any]:
    return {"generation": task.generation, "attempt": _upload_attempt(task)}


def _upload_attempt(task: ObjectTask) -> int:
    if isinstance(task, ContinueTask):
        return task.upload_attempt
    assert isinstance(task, ClipTask | VoicesTask | EnrichTask)
    return task.attempt


def _clip(task: ClipTask, clips: dict[str, Any]) -> str | None:
    count = clips.get("count")
    if task.clips != count or not 0 <= task.index < task.clips:
        return f"clip {task.index} of {task.clips}: the run planned {count} clips"
    ranges = clips.get("ranges") or []
    planned = ranges[task.index] if task.index < len(ranges) else {}
    if (task.start_ms, task.end_ms) != (planned.get("start_ms"), planned.get("end_ms")):
        return f"clip {task.index}: not the range the run planned"
    return _request(task.plan, task.prompt, _clip_hashes(clips, task.index))


def _voices(task: VoicesTask, clips: dict[str, Any]) -> str | None:
    if task.clips != clips.get("count"):
        return f"voices slot {task.clips}: the run planned {clips.get('count')} clips"
    first = _clip_hashes(clips, 0)
    if first is None or plan_hash(task.plan) != first["plan"]:
        return "voices: not the plan the run recorded"
    if not clips.get("voices"):
        raise NotAskedYet("the store has not recorded asking for the voices pass")
    return None


def _not_asked(task: EnrichTask, doc: dict[str, Any]) -> str | None:
    if doc.get("status") != "completed":
        return f"{task.enrichment}: the transcription is {doc.get('status')}, not completed"
    asked = (doc.get("enrichments") or {}).get(task.enrichment) or {}
    if asked.get("run") != _run(task):
        return f"{task.enrichment}: not an enrichment the run asked for"
    return None


def _ended(task: EnrichTask, doc: dict[str, Any]) -> str | None:
    status = ((doc.get("enrichments") or {}).get(task.enrichment) or {}).get("status")
    return None if status == "processing" else f"{task.enrichment}: already {status}"


def _continuation(task: ContinueTask, doc: dict[str, Any]) -> str | None:
    clips = doc.get("clips") or {}
    if task.clip is None:
        if clips or task.attempt != task.upload_attempt:
            return "continuation: not a single run"
        return _request(task.plan, task.prompt, doc.get("hashes"))
    index, count = task.clip.index, clips.get("count")
    if count is None or not 0 <= index < count or task.clip.attempt != task.attempt:
        return f"continuation of clip {index}: the run planned {count} clips"
    return _request(task.plan, task.prompt, _clip_hashes(clips, index))


def _clip_hashes(clips: dict[str, Any], index: int) -> dict[str, str] | None:
    hashes = clips.get("hashes") or []
    return hashes[index] if index < len(hashes) else None


def _request(plan: dict[str, Any], prompt: str, hashes: dict[str, str] | None) -> str | None:
    if hashes is None:
        return "the run recorded no plan for it"
    if plan_hash(plan) != hashes.get("plan"):
        return "not the plan the run recorded"
    if prompt_hash(prompt) != hashes.get("prompt"):
        return "not the prompt the run recorded"
    return None
