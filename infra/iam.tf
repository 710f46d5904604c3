# Identities and least-privilege grants. One service account per job; no primitive roles, no
# default compute service account. Each grant says why it exists.

# --- Service accounts ----------------------------------------------------------------------------

resource "google_service_account" "transcribe" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-transcribe"
  display_name = "Tabscribe transcribe function (runtime)"
  depends_on   = [google_project_service.this]
}

resource "google_service_account" "store" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-store"
  display_name = "Tabscribe store function (runtime)"
  depends_on   = [google_project_service.this]
}

resource "google_service_account" "trigger" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-trigger"
  display_name = "Tabscribe Eventarc triggers (invoke transcribe and the watchdog)"
  depends_on   = [google_project_service.this]
}

resource "google_service_account" "push_invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-push"
  display_name = "Tabscribe push subscription (OIDC identity that invokes store)"
  depends_on   = [google_project_service.this]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "Tabscribe function builds (Cloud Build)"
  depends_on   = [google_project_service.this]
}

resource "google_service_account" "watch" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-watch"
  display_name = "Tabscribe watchdog functions (runtime: dead letters and the sweep)"
  depends_on   = [google_project_service.this]
}

resource "google_service_account" "uploads" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-uploads"
  display_name = "Tabscribe upload function (runtime: signs upload URLs)"
  depends_on   = [google_project_service.this]
}

# --- Google-managed service agents -----------------------------------------------------------------
# On a fresh project these agents are created lazily and their roles propagate with a delay; the
# first apply then fails with "Permission denied while using the Eventarc Service Agent" or a
# storage trigger that cannot publish. Creating them explicitly, granting their roles, and waiting
# for IAM propagation before the functions are created avoids that race (docs/deploy.md).

resource "google_project_service_identity" "eventarc" {
  provider = google-beta
  project  = var.project_id
  service  = "eventarc.googleapis.com"

  depends_on = [google_project_service.this]
}

resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"

  depends_on = [google_project_service.this]
}

resource "google_project_service_identity" "scheduler" {
  provider = google-beta
  project  = var.project_id
  service  = "cloudscheduler.googleapis.com"

  depends_on = [google_project_service.this]
}

# Asking for it makes Cloud Storage create its service agent if it does not exist yet.
data "google_storage_project_service_account" "gcs" {
  project    = var.project_id
  depends_on = [google_project_service.this]
}

# Eventarc agent: normally granted automatically when the API is enabled; granted here explicitly
# so the trigger creation never depends on that happening in time.
resource "google_project_iam_member" "eventarc_agent" {
  #checkov:skip=CKV_GCP_49:The Eventarc service agent's own predefined role, which Google grants it anyway; the member is the Google-managed agent (not a user) and it needs to act as the trigger's service account. Granted here only to close the first-apply race.
  project = var.project_id
  role    = "roles/eventarc.serviceAgent"
  member  = "serviceAccount:${google_project_service_identity.eventarc.email}"
}

# Cloud Storage agent: storage triggers deliver through Pub/Sub, so it must publish the events.
resource "google_project_iam_member" "gcs_agent_pubsub_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "time_sleep" "service_agents_ready" {
  create_duration = "60s"

  depends_on = [
    google_project_iam_member.eventarc_agent,
    google_project_iam_member.gcs_agent_pubsub_publisher,
    google_project_service_identity.pubsub,
  ]
}

# --- transcribe runtime ----------------------------------------------------------------------------

# Read the uploaded media: metadata, ranged header reads for probing, streaming to the Files API.
resource "google_storage_bucket_iam_member" "transcribe_uploads_reader" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.transcribe.member
}

# Write claim-check objects to the results bucket; objectUser (not objectCreator) because a retried
# event rewrites the same object name, which needs overwrite (delete) permission.
resource "google_storage_bucket_iam_member" "transcribe_results_writer" {
  bucket = google_storage_bucket.results.name
  role   = "roles/storage.objectUser"
  member = google_service_account.transcribe.member
}

# Publish result chunks to the results topic (this topic only).
resource "google_pubsub_topic_iam_member" "transcribe_results_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this["results"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.transcribe.member
}

# The transcriber publishes a long upload's clips and the continuations of cut-off runs
# (decisions 0010, 0013; this topic only).
resource "google_pubsub_topic_iam_member" "transcribe_clips_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this["clips"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.transcribe.member
}

# Claim the job: lease and status on transcriptions/{id} (Firestore has no per-collection IAM).
resource "google_project_iam_member" "transcribe_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.transcribe.member
}

# Vertex mode only: call Gemini on Vertex AI (generateContent / streamGenerateContent).
resource "google_project_iam_member" "transcribe_aiplatform_user" {
  count = local.developer_mode ? 0 : 1

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = google_service_account.transcribe.member
}

# --- store runtime ---------------------------------------------------------------------------------

# Write transcriptions/{id} and pages/{n}.
resource "google_project_iam_member" "store_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.store.member
}

# Publish completion events (this topic only).
resource "google_pubsub_topic_iam_member" "store_events_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this["events"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.store.member
}

# Read claim-check objects and write (or rewrite, on redelivery) the WebVTT/SRT/JSON exports.
resource "google_storage_bucket_iam_member" "store_results_user" {
  bucket = google_storage_bucket.results.name
  role   = "roles/storage.objectUser"
  member = google_service_account.store.member
}

# The store asks a long upload's voices pass, once its clips are merged (decision 0010).
resource "google_pubsub_topic_iam_member" "store_clips_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this["clips"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.store.member
}

# --- watch runtime (the watchdog, decision 0009) ---------------------------------------------------

# Read transcriptions/{id} and record `failed` or `redriven` on them (no per-collection IAM).
resource "google_project_iam_member" "watch_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.watch.member
}

# Publish the completion event of a run it ends failed (this topic only).
resource "google_pubsub_topic_iam_member" "watch_events_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this["events"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.watch.member
}

# Hand a stalled upload back to the transcriber (this topic only).
resource "google_pubsub_topic_iam_member" "watch_redrive_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this["redrive"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.watch.member
}

# Check that a stalled upload's object still exists, and read its metadata for the re-drive.
resource "google_storage_bucket_iam_member" "watch_uploads_viewer" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.watch.member
}

# Cloud Scheduler's agent publishes the sweep ticks (this topic only).
resource "google_pubsub_topic_iam_member" "sweep_publisher_scheduler_agent" {
  project = var.project_id
  topic   = google_pubsub_topic.this["sweep"].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.scheduler.email}"
}

# --- uploads runtime (the upload function, decision 0011) ------------------------------------------

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

# --- Invokers --------------------------------------------------------------------------------------

# ... and must be allowed to receive events from Eventarc.
resource "google_project_iam_member" "trigger_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.trigger.member
}

# --- Pub/Sub service agent -------------------------------------------------------------------------

# Mint the OIDC token of the push invoker (scoped to that one account; older projects' Pub/Sub
# agents lack this through their default role).
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  service_account_id = google_service_account.push_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# Eventarc's storage trigger also delivers through a Pub/Sub push subscription, authenticated with
# an OIDC token of the trigger account: the agent must mint that one too.
resource "google_service_account_iam_member" "pubsub_agent_token_creator_trigger" {
  service_account_id = google_service_account.trigger.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# Forward undeliverable messages to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher_pubsub_agent" {
  project = var.project_id
  topic   = google_pubsub_topic.this["dead_letter"].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# Optional CMEK for the topics: the Pub/Sub agent encrypts and decrypts with the key.
resource "google_kms_crypto_key_iam_member" "pubsub_cmek" {
  count = var.pubsub_kms_key_name == null ? 0 : 1

  crypto_key_id = var.pubsub_kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# --- Builds ----------------------------------------------------------------------------------------
# Cloud Build would otherwise run as the default compute (or legacy Cloud Build) account.

# Write build logs.
resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

# Push the built images to the functions' repository only.
resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

# Fetch the source archive.
resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# 2nd-gen Cloud Functions copies the archive into its own gcf-v2-sources-<project-number>-<region>
# bucket and the build reads it from there. That bucket is created by the service, not by us, so
# the grant is project-level but conditioned on the bucket name (unverified offline, see
# docs/deploy.md).
resource "google_project_iam_member" "build_gcf_sources_reader" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member

  condition {
    title       = "gcf-v2-sources buckets only"
    description = "Objects in the buckets Cloud Functions copies function sources into."
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
  }
}

# --- Access logs -----------------------------------------------------------------------------------

# Cloud Storage writes usage and storage logs as this Google group (uniform access needs IAM).
resource "google_storage_bucket_iam_member" "logs_writer_analytics" {
  bucket = google_storage_bucket.logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}
