"""Cloud Functions entry points. Thin by design: check the event, delegate to `functions/`.

- `transcribe_upload`: Cloud Storage `google.cloud.storage.object.v1.finalized` → Gemini → Pub/Sub.
- `store_transcription`: Pub/Sub `google.cloud.pubsub.topic.v1.messagePublished` → Firestore.

Each imports its own module lazily, so neither pays at cold start for the other's dependencies.
"""

from __future__ import annotations

import datetime as dt

import functions_framework
from cloudevents.http import CloudEvent

from functions import logs
from functions.settings import get_settings

FINALIZED = "google.cloud.storage.object.v1.finalized"

logs.configure(get_settings().log_level)


@functions_framework.cloud_event
def transcribe_upload(cloud_event: CloudEvent) -> None:
    if cloud_event["type"] != FINALIZED:
        raise ValueError(f"transcribe_upload handles {FINALIZED}, not {cloud_event['type']}")
    from functions.transcriber import handle_upload

    time = cloud_event.get("time")
    handle_upload(
        cloud_event["id"],
        dt.datetime.fromisoformat(time) if time else None,
        cloud_event.get_data() or {},
        get_settings(),
    )
