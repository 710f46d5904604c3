# The reads function (docs/decisions/0022-signed-reads.md): a signed-in app user POSTs their
# Firebase ID token and {transcription, object}; it checks that the transcription is theirs
# (owner == uid) and answers a V4 signed URL to GET its media or an export for 15 minutes. End
# users hold no grant on either bucket: a signed URL carries the permissions of the account that
# signed it (this function's: read the two buckets, nothing else), limited to one object, one
# method, 15 minutes. Media plays and downloads open without CORS (media elements, navigations).

locals {
  # Settings of the reads function (functions.core.settings.Settings).
  read_env = {
    GOOGLE_CLOUD_PROJECT         = var.project_id
    TABSCRIBE_LOG_LEVEL          = var.log_level
    TABSCRIBE_UPLOAD_BUCKET      = google_storage_bucket.this["uploads"].name
    TABSCRIBE_RESULTS_BUCKET     = google_storage_bucket.this["results"].name
    TABSCRIBE_UPLOAD_ORIGINS     = jsonencode(local.upload_origins) # the viewer's, as for uploads
    TABSCRIBE_FIRESTORE_DATABASE = google_firestore_database.main.name
  }
}
