"""The voices pass of a merged run (decision 0010): asked once every clip has finished with
voices the merge could not confirm, applied when its answer (clip `count`) is recorded.

The store asks (it alone knows when the last clip is merged) once, before it records the ask
on the document; the transcriber answers, as it answers clips. A task asked twice (the record
failed) is harmless: the pass is claimed like a clip, so the model is called once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from functions.core import clients
from functions.core.documents import Status
from functions.core.messages import VoicesTask
from functions.core.settings import get_settings
from functions.format.merge import ClipAnswer, Merged, merge
from functions.format.models import Issue
from functions.format.voices import Snippet, parse_answer, snippets
from functions.store.state import ClipState, Run

PUBLISH_TIMEOUT_S = 30.0


def to_ask(merged: Merged) -> list[Snippet]:
    """The snippets to ask about, or none: nothing unconfirmed, or the pass is switched off."""
    length_s = get_settings().voice_snippet_s
    if not merged.unconfirmed or length_s <= 0:
        return []
    asked = snippets(merged, round(length_s * 1000))
    return asked if len(asked) >= 2 else []


def ask(transcription_id: str, doc: dict[str, Any], run: Run, asked: list[Snippet]) -> None:
    """Publish the voices pass's task on the clips topic (raises if it cannot: the redelivery
    of the chunk that finished the clips asks again)."""
    source, settings = doc.get("source") or {}, get_settings()
    task = VoicesTask(
        transcription_id=transcription_id,
        bucket=source["bucket"],
        name=source["name"],
        generation=run.generation,
        attempt=run.attempt,
        clips=(doc.get("clips") or {})["count"],
        content_type=source.get("content_type"),
        size=source.get("size"),
        media_file=doc.get("media_file"),  # the run's upload (Developer API), reused
        plan=doc["plan"],
        snippets=asked,
        published_at=dt.datetime.now(dt.UTC),
    )
    publisher = clients.publisher()
    topic = publisher.topic_path(settings.project, settings.clips_topic)
    body = task.model_dump_json(exclude_none=True).encode()
    publisher.publish(topic, body, **task.attributes()).result(timeout=PUBLISH_TIMEOUT_S)


def apply(answers: Sequence[ClipAnswer], merged: Merged, answer: ClipState) -> Merged:
    """The merge with the pass's answer: its groups joined, or, if the pass failed, the voices
    left apart with an issue saying why."""
    if answer.outcome != Status.COMPLETED.value:
        why = f"{answer.outcome}: {answer.reason}" if answer.reason else str(answer.outcome)
        message = f"the voices pass ended {why}; unconfirmed voices stay apart"
        issue = Issue(code="voices_pass_failed", message=message)
        return dataclasses.replace(merged, issues=[*merged.issues, issue])
    groups, issues = parse_answer(answer.answer or "", {s.voice for s in merged.speakers})
    if groups is None:  # no answer to apply: the voices stay as the merge left them
        return dataclasses.replace(merged, issues=[*merged.issues, *issues])
    joined = merge(answers, same_person=groups)
    return dataclasses.replace(joined, issues=[*joined.issues, *issues])
