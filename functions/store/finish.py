"""After a run's final chunk is committed: exports to Cloud Storage, the completion event, then
one task per enrichment the run started (decision 0026).

Everything is rebuilt from Firestore (the document and its pages), so a redelivery after a crash
between the commit and the publish writes the same files and publishes the same event id and
tasks (a task delivered twice is claimed once, by the enrichment).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.cloud import firestore

from functions.core import clients, events, logs, tasks
from functions.core.documents import PAGES, TRANSCRIPTIONS, Status
from functions.core.events import CompletionEvent, EnrichedEvent, build_event
from functions.core.settings import get_settings
from functions.store import exports
from functions.store.accept import results_bucket
from functions.store.state import Run
from functions.store.writes import CHANGED, MAX_ATTEMPTS

PUBLISH_TIMEOUT_S = 30.0
EXPORTS = {  # name → (file, content type)
    "vtt": ("transcript.vtt", "text/vtt; charset=utf-8"),
    "srt": ("transcript.srt", "application/x-subrip; charset=utf-8"),
    "json": ("transcript.json", "application/json; charset=utf-8"),
}

log = logs.get_logger("store")


def _db() -> Any:
    return clients.firestore_client(get_settings().firestore_database)


def complete(transcription_id: str, run: Run) -> int:
    """Write the exports and publish the event of `run` unless done; return document writes."""
    ref = _db().collection(TRANSCRIPTIONS).document(transcription_id)
    snapshot = ref.get()
    doc = snapshot.to_dict() or {}
    if not _is_pending(doc, run):
        return 0
    segments = [
        segment
        for page in ref.collection(PAGES).order_by("index").stream()
        for segment in page.get("segments")
    ]
    uris = write_exports(transcription_id, doc, segments)
    event = build_event(transcription_id, doc, uris)
    publish(event)
    data = event.data
    ended = logs.outcome(data.status, "store", model=data.model, usage=data.usage, cost=data.cost)
    extra = {"transcription_id": transcription_id, "event_id": event.id, "type": event.type}
    log.info("completion event published", extra=extra | ended)
    enrich(transcription_id, doc, run)
    return _mark_published(ref, snapshot, run, uris)


def publish(event: CompletionEvent | EnrichedEvent) -> None:
    """Publish `event` on the events topic and wait until it is accepted."""
    events.publish(event, event.data.id)


def enrich(transcription_id: str, doc: dict[str, Any], run: Run) -> None:
    """Publish an `EnrichTask` for each of the run's enrichments still `processing`, on the clips
    topic, and wait until each is accepted (raises if one is not: the redelivery publishes again,
    before the event is marked published)."""
    asked = doc.get("enrichments") or {}
    names = [
        name
        for name, enrichment in sorted(asked.items())
        if enrichment.get("status") == Status.PROCESSING.value
        and enrichment.get("run") == run.model_dump()
    ]
    publisher, settings = clients.publisher(), get_settings()
    topic = publisher.topic_path(settings.project, settings.clips_topic)
    futures = []
    for name in names:
        task = tasks.enrich_task(transcription_id, doc, name)
        body = task.model_dump_json(exclude_none=True).encode()
        futures.append(publisher.publish(topic, body, **task.attributes()))
    for future in futures:
        future.result(timeout=PUBLISH_TIMEOUT_S)
    if names:
        log.info(
            f"enrichments asked: {', '.join(names)}", extra={"transcription_id": transcription_id}
        )


def _is_pending(doc: dict[str, Any], run: Run) -> bool:
    store, event = doc.get("store") or {}, doc.get("event") or {}
    same_run = store.get("run") and Run(**store["run"]) == run
    return bool(same_run and store.get("finished") and event and not event.get("published"))


def _mark_published(
    ref: firestore.DocumentReference, snapshot: Any, run: Run, uris: dict[str, str]
) -> int:
    """Record the publication, unless a newer run took over the document meanwhile (the update
    is conditional on the document as last read; if it changed, read it again)."""
    fields = {
        "exports": uris,
        "event.published": True,
        "event.published_at": firestore.SERVER_TIMESTAMP,
    }
    for _ in range(MAX_ATTEMPTS):
        if not _is_pending(snapshot.to_dict() or {}, run):
            return 0
        unchanged = _db().write_option(last_update_time=snapshot.update_time)
        try:
            ref.update(fields, option=unchanged)
            return 1
        except CHANGED:
            snapshot = ref.get()
    raise RuntimeError("the document kept changing; Pub/Sub will redeliver")


def translated(
    segments: Sequence[dict[str, Any]], texts: Sequence[str | None]
) -> list[dict[str, Any]]:
    """A translation's cues (decision 0026): each of the transcript's segments with its
    translated text, the original where the translation has none (`None`)."""
    return [
        {**segment, "text": segment["text"] if text is None else text}
        for segment, text in zip(segments, texts, strict=True)
    ]


def write_exports(
    transcription_id: str,
    doc: dict[str, Any],
    segments: list[dict[str, Any]],
    lang: str | None = None,
) -> dict[str, str]:
    """Upload VTT, SRT and JSON under the output prefix; their gs:// URIs (none if no segment).
    `lang`: a translation's segments (decision 0026), as `transcript.{lang}.vtt` and `.srt`."""
    bucket_name = results_bucket(doc)
    if not segments or not bucket_name:
        reason = "no segments" if bucket_name else "no results bucket"
        log.info(f"exports skipped: {reason}", extra={"transcription_id": transcription_id})
        return {}
    items = exports.cues(segments, doc.get("speakers") or [], doc.get("duration_ms"))
    subtitles = exports.with_events(items, doc.get("events"))
    bodies = {"vtt": exports.to_vtt(subtitles), "srt": exports.to_srt(subtitles)}
    if lang is None:
        bodies["json"] = exports.to_json(transcription_id, doc, items)
    bucket = clients.storage_client().bucket(bucket_name)
    prefix = f"{get_settings().output_prefix}{transcription_id}/"

    def upload(kind: str) -> tuple[str, str]:
        filename, content_type = EXPORTS[kind]
        if lang is not None:
            filename = filename.replace(".", f".{lang}.", 1)
        bucket.blob(prefix + filename).upload_from_string(bodies[kind], content_type=content_type)
        return kind, f"gs://{bucket_name}/{prefix}{filename}"

    with ThreadPoolExecutor(len(bodies)) as pool:  # the round trips at once
        return dict(pool.map(upload, bodies))
