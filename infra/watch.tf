# The watchdog (docs/decisions/0009-watchdog.md): nothing stays `processing` forever.
#
# - watch-dead-letter: a results chunk the store gave up on (dead-letter topic) ends its run failed;
# - watch-sweep: every var.sweep_schedule, Cloud Scheduler publishes a tick on the sweep topic and
#   the sweep re-drives (once) or fails transcriptions whose lease expired without progress;
# - transcribe-redrive: the transcriber's second entry point, fed by the re-drive topic; it runs
#   the same code and identity as transcribe, so a re-driven upload is claimed like a retried event.
# Each is fed by an Eventarc Pub/Sub trigger (its own subscription, with retries) under the trigger
# account. The dead-letter hold subscription (pubsub.tf) still keeps every dead letter.

locals {
  redrive_topic_id = "${var.name_prefix}-redrive"
  sweep_topic_id   = "${var.name_prefix}-sweep"

  # Settings of the watchdog's functions (functions.core.settings.Settings).
  watch_env = {
    TABSCRIBE_REDRIVE_TOPIC = google_pubsub_topic.redrive.name
    TABSCRIBE_STALL_S       = tostring(var.stall_seconds)
    # Pub/Sub retries a chunk at most max_delivery_attempts times, each at most the maximum
    # backoff (600 s, pubsub.tf) plus the store's timeout apart: until then a run whose final
    # chunk is out may still complete, and the sweep leaves it alone.
    TABSCRIBE_DELIVERY_HORIZON_S = tostring(var.max_delivery_attempts * (600 + var.store_timeout_seconds))
  }
}

# --- Topics --------------------------------------------------------------------------------------

resource "google_pubsub_topic" "redrive" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default re-drive messages (a storage object's metadata, no media or transcript) use Google-managed encryption at rest.
  name         = local.redrive_topic_id
  project      = var.project_id
  kms_key_name = var.pubsub_kms_key_name

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

resource "google_pubsub_topic" "sweep" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default sweep ticks (an empty JSON object) use Google-managed encryption at rest.
  name         = local.sweep_topic_id
  project      = var.project_id
  kms_key_name = var.pubsub_kms_key_name

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

# --- Identity and grants -------------------------------------------------------------------------

resource "google_service_account" "watch" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-watch"
  display_name = "Tabscribe watchdog functions (runtime: dead letters and the sweep)"
  depends_on   = [google_project_service.this]
}

# Read transcriptions/{id} and record `failed` or `redriven` on them (no per-collection IAM).
resource "google_project_iam_member" "watch_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.watch.member
}

# Publish the completion event of a run it ends failed (this topic only).
resource "google_pubsub_topic_iam_member" "watch_events_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.events.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.watch.member
}

# Hand a stalled upload back to the transcriber (this topic only).
resource "google_pubsub_topic_iam_member" "watch_redrive_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.redrive.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.watch.member
}

# Check that a stalled upload's object still exists, and read its metadata for the re-drive.
resource "google_storage_bucket_iam_member" "watch_uploads_viewer" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.watch.member
}

resource "google_project_service_identity" "scheduler" {
  provider = google-beta
  project  = var.project_id
  service  = "cloudscheduler.googleapis.com"

  depends_on = [google_project_service.this]
}

# Cloud Scheduler's agent publishes the sweep ticks (this topic only).
resource "google_pubsub_topic_iam_member" "sweep_publisher_scheduler_agent" {
  project = var.project_id
  topic   = google_pubsub_topic.sweep.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.scheduler.email}"
}

# --- Schedule ------------------------------------------------------------------------------------

resource "google_cloud_scheduler_job" "sweep" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-sweep"
  description = "Ticks the watchdog's sweep (stalled transcriptions are re-driven once, then failed)."
  schedule    = var.sweep_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.sweep.id
    data       = base64encode("{}")
  }

  depends_on = [google_pubsub_topic_iam_member.sweep_publisher_scheduler_agent]
}
