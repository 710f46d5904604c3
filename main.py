"""Cloud Functions entry points. Thin by design: check the event, delegate to `functions/`.

- `transcribe_upload`: Cloud Storage `google.cloud.storage.object.v1.finalized` → Gemini → Pub/Sub
  (a long upload: its clips → the clips topic).
- `transcribe_clip`: Pub/Sub, one clip of a long upload (or its voices pass, or the continuation
  of a cut-off run) → Gemini → the results topic; or an enrichment of a completed transcript
  (a translation, the chapters) → `functions/enrich/`.
- `store_transcription`: Pub/Sub `google.cloud.pubsub.topic.v1.messagePublished` → Firestore.
- `transcribe_redrive`: a re-drive message the watchdog's sweep recorded → the same `handle_upload`.
- `watch_dead_letter`: a dead-lettered results chunk → its run `failed`, naming the chunk.
- `watch_sweep`: a tick (Cloud Scheduler via Pub/Sub) → stalled transcriptions re-driven or failed.
- `upload_url`: HTTP, a signed-in app user → a signed URL to upload media under their own uid.
- `media_url`: HTTP, a signed-in app user → a signed URL to read their media or an export.
- `correct_transcription`: HTTP, the owner of a finished transcription → a speaker renamed, two
  voices merged, or a correction undone; the pages, exports and an `updated` event follow.
- `carry_corrections`: a completion event (events topic) → the owner's corrections of the last
  corrected run carried over to the new run where its voices are recognised.
- `delete_transcription`: HTTP, the owner → their transcription, media and results removed.

Each imports its own module lazily, so one function's cold start never pays for the other's
dependencies (the store never imports google.genai).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request

from functions.core import logs
from functions.core.settings import get_settings

FINALIZED = "google.cloud.storage.object.v1.finalized"
MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"

logs.configure(get_settings().log_level)


@functions_framework.cloud_event
def transcribe_upload(cloud_event: CloudEvent) -> None:
    """A finished upload → a Gemini call streamed to the results topic."""
    if cloud_event["type"] != FINALIZED:
        raise ValueError(f"transcribe_upload handles {FINALIZED}, not {cloud_event['type']}")
    from functions.transcribe.handler import handle_upload

    time = cloud_event.get("time")
    handle_upload(
        cloud_event["id"],
        dt.datetime.fromisoformat(time) if time else None,
        cloud_event.get_data() or {},
        get_settings(),
    )


@functions_framework.cloud_event
def transcribe_clip(cloud_event: CloudEvent) -> None:
    """A clips-topic message (push subscription) → one clip's Gemini call, a long upload's
    voices pass (attribute `task=voices`) or a cut-off run's continuation (`task=continue`) →
    the results topic; or a completed transcript's enrichment (`task=enrich`, decision 0026)."""
    _check(cloud_event, MESSAGE_PUBLISHED)
    from functions.core.envelope import body_of, message_of
    from functions.core.messages import ClipTask, ContinueTask, EnrichTask, VoicesTask

    message = message_of(cloud_event.data)
    message_id = message.message_id or cloud_event["id"]
    task = message.attributes.get("task")
    if task == "enrich":  # text only: never loads the transcriber's media code
        from functions.enrich.handler import handle_enrichment

        handle_enrichment(message_id, body_of(message, EnrichTask), get_settings())
        return
    from functions.transcribe.handler import handle_clip, handle_continuation, handle_voices

    if task == "voices":
        handle_voices(message_id, body_of(message, VoicesTask), get_settings())
    elif task == "continue":
        handle_continuation(message_id, body_of(message, ContinueTask), get_settings())
    else:
        handle_clip(message_id, body_of(message, ClipTask), get_settings())


@functions_framework.cloud_event
def store_transcription(cloud_event: CloudEvent) -> None:
    """A results-topic chunk (push subscription) → Firestore, and the completion event."""
    if cloud_event["type"] != MESSAGE_PUBLISHED:
        raise ValueError(
            f"store_transcription handles {MESSAGE_PUBLISHED}, not {cloud_event['type']}"
        )
    from functions.store.handler import handle

    handle(cloud_event.data)


@functions_framework.cloud_event
def transcribe_redrive(cloud_event: CloudEvent) -> None:
    """A stalled upload handed back by the watchdog's sweep → the transcriber, as for a finalize."""
    _check(cloud_event, MESSAGE_PUBLISHED)
    from functions.transcribe.handler import handle_upload
    from functions.watch.redrive import admit, decode

    redrive = decode(cloud_event.data)
    admitted = admit(redrive, get_settings()) if redrive is not None else None
    if admitted is not None:
        handle_upload(admitted.event_id, admitted.time, admitted.data, get_settings())


@functions_framework.cloud_event
def watch_dead_letter(cloud_event: CloudEvent) -> None:
    """A results chunk the store gave up on (dead-letter topic) → its run ends `failed`."""
    _check(cloud_event, MESSAGE_PUBLISHED)
    from functions.watch.dead_letter import handle

    handle(cloud_event.data)


@functions_framework.cloud_event
def watch_sweep(cloud_event: CloudEvent) -> None:
    """A scheduler tick → transcriptions stalled in `processing` are re-driven once or failed."""
    _check(cloud_event, MESSAGE_PUBLISHED)
    from functions.watch.sweep import sweep

    sweep(get_settings())


@functions_framework.cloud_event
def batch_poll(cloud_event: CloudEvent) -> None:
    """A scheduler tick → batch mode's batches sealed, submitted, their jobs followed and their
    answers published (decision 0032)."""
    _check(cloud_event, MESSAGE_PUBLISHED)
    from functions.batch.poll import poll

    poll(get_settings())


@functions_framework.http
def upload_url(request: Request) -> Any:
    """A Firebase ID token and a file's description → a V4 signed PUT URL under the caller's uid."""
    from functions.uploads.handler import handle

    return handle(request, get_settings())


@functions_framework.http
def media_url(request: Request) -> Any:
    """A Firebase ID token and {transcription, object} → a V4 signed GET URL, for the owner only."""
    from functions.reads.handler import handle

    return handle(request, get_settings())


@functions_framework.http
def delete_transcription(request: Request) -> Any:
    """The owner's Firebase ID token and `{transcription}` → it and its media removed, any run
    in flight stopped, a `transcription.deleted` event (decision 0024)."""
    from functions.deletion.handler import handle

    return handle(request, get_settings())


@functions_framework.http
def correct_transcription(request: Request) -> Any:
    """A Firebase ID token and a correction of the caller's transcription → it, made."""
    from functions.corrections.handler import handle

    return handle(request, get_settings())


@functions_framework.cloud_event
def carry_corrections(cloud_event: CloudEvent) -> None:
    """A completion event → the owner's corrections carried over to the run that ended."""
    _check(cloud_event, MESSAGE_PUBLISHED)
    from functions.core.envelope import decode
    from functions.core.events import CompletionEvent
    from functions.corrections.carry import carry_over

    event, _ = decode(cloud_event.data, CompletionEvent)
    carry_over(get_settings(), event)


def _check(cloud_event: CloudEvent, expected: str) -> None:
    if cloud_event["type"] != expected:
        raise ValueError(f"this entry point handles {expected}, not {cloud_event['type']}")
