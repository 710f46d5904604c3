"""Cloud Functions entry points. Thin by design: check the event, delegate to `functions/`.

- `transcribe_upload`: Cloud Storage `google.cloud.storage.object.v1.finalized` → Gemini → Pub/Sub.
- `store_transcription`: Pub/Sub `google.cloud.pubsub.topic.v1.messagePublished` → Firestore.
"""
