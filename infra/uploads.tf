# The upload function (docs/decisions/0011-owner-bound-uploads.md): a signed-in app user POSTs
# their Firebase ID token and a file's description; it answers a V4 signed URL to PUT the file at
# uploads/<their uid>/<unique name>. Nobody else writes the uploads bucket: end users hold no
# grant on it, and a signed URL carries the permissions of the account that signed it (this
# function's), limited to one object, one content type, one size, one PUT, for 15 minutes.

locals {
  upload_origins = concat(
    ["https://${local.viewer_site_id}.web.app", "https://${local.viewer_site_id}.firebaseapp.com"],
    var.upload_extra_origins,
  )
  # Headers a browser sends with the PUT (functions/uploads/signing.py), for the bucket's CORS.
  upload_signed_headers = [
    "Content-Type",
    "x-goog-content-length-range",
    "x-goog-if-generation-match",
    "x-goog-meta-duration",
    "x-goog-meta-title",
    "x-goog-meta-description",
    "x-goog-meta-speakers",
    "x-goog-meta-glossary",
    "x-goog-meta-language",
    "x-goog-meta-events",
    "x-goog-meta-chapters",
    "x-goog-meta-translate",
  ]

  # Settings of the upload function (functions.core.settings.Settings).
  # It reserves the daily caps (decision 0019) in Firestore, for the model the transcriber uses.
  upload_env = {
    GOOGLE_CLOUD_PROJECT         = var.project_id
    TABSCRIBE_INPUT_PREFIX       = var.input_prefix
    TABSCRIBE_LOG_LEVEL          = var.log_level
    TABSCRIBE_UPLOAD_BUCKET      = google_storage_bucket.this["uploads"].name
    TABSCRIBE_UPLOAD_ORIGINS     = jsonencode(local.upload_origins)
    TABSCRIBE_ALLOWED_USERS      = jsonencode(var.allowed_users)
    TABSCRIBE_MODEL              = var.gemini_model
    TABSCRIBE_FIRESTORE_DATABASE = google_firestore_database.main.name
  }
}

