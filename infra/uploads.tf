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
    "x-goog-meta-title",
    "x-goog-meta-description",
    "x-goog-meta-speakers",
    "x-goog-meta-glossary",
    "x-goog-meta-language",
  ]

  # Settings of the upload function (functions.core.settings.Settings).
  upload_env = {
    GOOGLE_CLOUD_PROJECT     = var.project_id
    TABSCRIBE_INPUT_PREFIX   = var.input_prefix
    TABSCRIBE_LOG_LEVEL      = var.log_level
    TABSCRIBE_UPLOAD_BUCKET  = google_storage_bucket.uploads.name
    TABSCRIBE_UPLOAD_ORIGINS = jsonencode(local.upload_origins)
  }
}

resource "google_service_account" "uploads" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-uploads"
  display_name = "Tabscribe upload function (runtime: signs upload URLs)"
  depends_on   = [google_project_service.this]
}

# Create objects in the uploads bucket: what a URL it signs lets the browser do (never read,
# overwrite or delete: every name it signs is new).
resource "google_storage_bucket_iam_member" "uploads_object_creator" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.uploads.member
}

# Sign as itself through the IAM Credentials API (signBlob): the function has no private key.
resource "google_service_account_iam_member" "uploads_token_creator_self" {
  service_account_id = google_service_account.uploads.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.uploads.member
}

# Browsers call it directly: Cloud Run lets anyone reach it, and the function itself refuses any
# request without a valid Firebase ID token (401).
resource "google_cloud_run_v2_service_iam_member" "uploads_public_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.uploads.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloudfunctions2_function" "uploads" {
  #checkov:skip=CKV_GCP_124:Browsers call this function from the viewer's origin, so it must accept traffic from the internet; it refuses every request without a valid Firebase ID token (401) and only ever signs a URL under the caller's own uid.
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-uploads"
  description = "Firebase ID token -> a V4 signed URL to PUT media under uploads/<uid>/."

  build_config {
    runtime           = "python311"
    entry_point       = "upload_url"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.uploads.email
    ingress_settings      = "ALLOW_ALL" # browsers call it; it checks the ID token itself
    timeout_seconds       = 30
    available_memory      = "256Mi"
    available_cpu         = "1"
    # Each request verifies a token and signs one URL (one signBlob call): short.
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = var.upload_max_instances
    all_traffic_on_latest_revision   = true

    environment_variables = local.upload_env
  }

  depends_on = [
    google_project_service.this,
    time_sleep.service_agents_ready,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
    google_project_iam_member.build_gcf_sources_reader,
  ]
}
