"""Cloud Functions entry points. Thin by design: check the event, delegate to `functions/`.

- `transcribe_upload`: Cloud Storage `google.cloud.storage.object.v1.finalized` → Gemini → Pub/Sub.
- `store_transcription`: Pub/Sub `google.cloud.pubsub.topic.v1.messagePublished` → Firestore.

Each imports its own module lazily, so one function's cold start never pays for the other's
dependencies (the store never imports google.genai).
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

PUBSUB_MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


@functions_framework.cloud_event
def store_transcription(cloud_event: CloudEvent) -> None:
    """A results-topic chunk (push subscription) → Firestore, and the completion event."""
    if cloud_event["type"] != PUBSUB_MESSAGE_PUBLISHED:
        raise ValueError(f"unexpected event type {cloud_event['type']!r}")
    from functions.store.handler import handle

    handle(cloud_event.data)
