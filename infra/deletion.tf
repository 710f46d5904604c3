# The deletion function (docs/decisions/0024-deletion-by-the-owner.md): a signed-in owner POSTs
# their Firebase ID token and a transcription id; it deletes the media (every generation), the
# results under the output prefix, the document with its subcollections, leaves a tombstone the
# transcriber's claim checks, and publishes `transcription.deleted`. Its grants (iam.tf) are
# exactly what that takes: Firestore, objectUser on the two buckets, publisher on the events topic.

locals {
  # Settings of the deletion function (functions.core.settings.Settings): where the media and the
  # results are, the viewer's origins (CORS), the events topic.
  deletion_env = {
    GOOGLE_CLOUD_PROJECT         = var.project_id
    TABSCRIBE_INPUT_PREFIX       = var.input_prefix
    TABSCRIBE_OUTPUT_PREFIX      = var.output_prefix
    TABSCRIBE_RESULTS_BUCKET     = google_storage_bucket.this["results"].name
    TABSCRIBE_EVENTS_TOPIC       = google_pubsub_topic.this["events"].name
    TABSCRIBE_UPLOAD_ORIGINS     = jsonencode(local.upload_origins)
    TABSCRIBE_FIRESTORE_DATABASE = google_firestore_database.main.name
    TABSCRIBE_LOG_LEVEL          = var.log_level
  }
}
