# The corrections function (docs/decisions/0023-owner-corrections.md): the owner of a finished
# transcription POSTs their Firebase ID token and a correction (rename a speaker, merge two voices,
# undo); it rewrites the speakers table, the pages and the exports, records the history, and
# publishes a transcription.updated event. Browsers call it from the viewer's origins.

locals {
  # Settings of the corrections function (functions.core.settings.Settings): where the document,
  # the exports and the events are, and the viewer's origins for CORS (the upload function's).
  corrections_env = {
    GOOGLE_CLOUD_PROJECT         = var.project_id
    TABSCRIBE_LOG_LEVEL          = var.log_level
    TABSCRIBE_INPUT_PREFIX       = var.input_prefix
    TABSCRIBE_OUTPUT_PREFIX      = var.output_prefix
    TABSCRIBE_RESULTS_BUCKET     = google_storage_bucket.this["results"].name
    TABSCRIBE_EVENTS_TOPIC       = google_pubsub_topic.this["events"].name
    TABSCRIBE_FIRESTORE_DATABASE = google_firestore_database.main.name
    TABSCRIBE_UPLOAD_ORIGINS     = jsonencode(local.upload_origins)
  }
}
