# Identities and least-privilege grants. One service account per job; no primitive roles, no
# default compute service account. Each grant says why it exists.

# --- Service accounts ----------------------------------------------------------------------------

locals {
  # Each job's account id (after the prefix) and what runs as it.
  service_accounts = {
    transcribe  = "Tabscribe transcribe function (runtime)"
    store       = "Tabscribe store function (runtime)"
    trigger     = "Tabscribe Eventarc triggers (invoke transcribe and the watchdog)"
    push        = "Tabscribe push subscription (OIDC identity that invokes store)"
    build       = "Tabscribe function builds (Cloud Build)"
    watch       = "Tabscribe watchdog functions (runtime: dead letters and the sweep)"
    uploads     = "Tabscribe upload function (runtime: signs upload URLs)"
    corrections = "Tabscribe corrections function (runtime: the owner's corrections)"
    reads       = "Tabscribe reads function (runtime: signs read URLs)"
    deletion    = "Tabscribe deletion function (runtime: an owner's transcription removed)"
  }
}

resource "google_service_account" "this" {
  for_each = local.service_accounts

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = each.value
  depends_on   = [google_project_service.this]
}

# --- Google-managed service agents -----------------------------------------------------------------
# On a fresh project these agents are created lazily and their roles propagate with a delay; the
# first apply then fails with "Permission denied while using the Eventarc Service Agent" or a
# storage trigger that cannot publish. Creating them explicitly, granting their roles, and waiting
# for IAM propagation before the functions are created avoids that race (docs/deploy.md).

resource "google_project_service_identity" "this" {
  for_each = {
    eventarc  = "eventarc.googleapis.com"
    pubsub    = "pubsub.googleapis.com"
    scheduler = "cloudscheduler.googleapis.com"
  }
  provider = google-beta

  project    = var.project_id
  service    = each.value
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
  member  = local.agent.eventarc
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
    google_project_service_identity.this,
  ]
}

# --- Grants --------------------------------------------------------------------------------------
# One map per kind of grant, each entry with why it exists; the resources below grant them all.

locals {
  # Members (serviceAccount:...) of the accounts above and of the service agents, by key.
  account = { for key, account in google_service_account.this : key => account.member }
  agent   = { for key, agent in google_project_service_identity.this : key => "serviceAccount:${agent.email}" }

  # Roles on the project. Firestore has no per-collection IAM: datastore.user is project-wide.
  project_grants = {
    # transcribe: claim the job (lease and status on transcriptions/{id}).
    transcribe_datastore_user = { role = "roles/datastore.user", member = local.account.transcribe }
    # store: write transcriptions/{id} and pages/{n}.
    store_datastore_user = { role = "roles/datastore.user", member = local.account.store }
    # uploads (decision 0019): the daily caps' counters (usage/*), reserved before it signs.
    uploads_datastore_user = { role = "roles/datastore.user", member = local.account.uploads }
    # reads (decision 0022): read transcriptions/{id}, its owner and where its objects are.
    reads_datastore_user = { role = "roles/datastore.user", member = local.account.reads }
    # corrections (decision 0023): read transcriptions/{id} and its pages, rewrite the speakers
    # table and the pages a merge changes, record history/{n}.
    corrections_datastore_user = { role = "roles/datastore.user", member = local.account.corrections }
    # deletion (decision 0024): write the tombstone, delete transcriptions/{id} and everything
    # under it.
    deletion_datastore_user = { role = "roles/datastore.user", member = local.account.deletion }
    # watch (the watchdog, decision 0009): read transcriptions/{id}, record `failed` or `redriven`.
    watch_datastore_user = { role = "roles/datastore.user", member = local.account.watch }
    # The trigger account must be allowed to receive events from Eventarc.
    trigger_event_receiver = { role = "roles/eventarc.eventReceiver", member = local.account.trigger }
    # build: write build logs (Cloud Build would otherwise run as the default compute account).
    build_log_writer = { role = "roles/logging.logWriter", member = local.account.build }
  }

  # Roles on one bucket.
  bucket_grants = {
    # transcribe: read the uploaded media (metadata, ranged header reads for probing, streaming to
    # the Files API).
    transcribe_uploads_reader = { bucket = google_storage_bucket.this["uploads"].name, role = "roles/storage.objectViewer", member = local.account.transcribe }
    # transcribe: write claim-check objects; objectUser (not objectCreator) because a retried event
    # rewrites the same object name, which needs overwrite (delete) permission.
    transcribe_results_writer = { bucket = google_storage_bucket.this["results"].name, role = "roles/storage.objectUser", member = local.account.transcribe }
    # store: read claim-check objects and write (or rewrite, on redelivery) the WebVTT/SRT/JSON
    # exports.
    store_results_user = { bucket = google_storage_bucket.this["results"].name, role = "roles/storage.objectUser", member = local.account.store }
    # corrections: rewrite the WebVTT/SRT/JSON exports with the corrected names (overwrite).
    corrections_results_user = { bucket = google_storage_bucket.this["results"].name, role = "roles/storage.objectUser", member = local.account.corrections }
    # watch: check that a stalled upload's object still exists, and read its metadata for the
    # re-drive.
    watch_uploads_viewer = { bucket = google_storage_bucket.this["uploads"].name, role = "roles/storage.objectViewer", member = local.account.watch }
    # uploads (decision 0011): create objects, what a URL it signs lets the browser do (never read,
    # overwrite or delete: every name it signs is new).
    uploads_object_creator = { bucket = google_storage_bucket.this["uploads"].name, role = "roles/storage.objectCreator", member = local.account.uploads }
    # reads (decision 0022): read the media, what a URL it signs lets the browser do (never write).
    reads_uploads_viewer = { bucket = google_storage_bucket.this["uploads"].name, role = "roles/storage.objectViewer", member = local.account.reads }
    # reads: read the exports, the same way (no other bucket).
    reads_results_viewer = { bucket = google_storage_bucket.this["results"].name, role = "roles/storage.objectViewer", member = local.account.reads }
    # deletion (decision 0024): list and delete every generation of the owner's media, and the
    # results under {output prefix}{id}/; objectUser is the narrowest predefined role that deletes.
    deletion_uploads_user = { bucket = google_storage_bucket.this["uploads"].name, role = "roles/storage.objectUser", member = local.account.deletion }
    # deletion: the same for the exports, claim checks and voices reel of the transcription.
    deletion_results_user = { bucket = google_storage_bucket.this["results"].name, role = "roles/storage.objectUser", member = local.account.deletion }
    # build: fetch the source archive.
    build_source_reader = { bucket = google_storage_bucket.this["source"].name, role = "roles/storage.objectViewer", member = local.account.build }
    # Cloud Storage writes usage and storage logs as this Google group (uniform access needs IAM).
    logs_writer_analytics = { bucket = google_storage_bucket.this["logs"].name, role = "roles/storage.objectCreator", member = "group:cloud-storage-analytics@google.com" }
  }

  # Roles on one topic: who publishes on it (that topic only).
  topic_grants = {
    # transcribe: result chunks to the store.
    transcribe_results_publisher = { topic = "results", role = "roles/pubsub.publisher", member = local.account.transcribe }
    # transcribe: a long upload's clips and the continuations of cut-off runs (decisions 0010, 0013).
    transcribe_clips_publisher = { topic = "clips", role = "roles/pubsub.publisher", member = local.account.transcribe }
    # transcribe (transcribe_clip runs the enrichments, decision 0026): `transcription.enriched`.
    transcribe_events_publisher = { topic = "events", role = "roles/pubsub.publisher", member = local.account.transcribe }
    # store: completion events.
    store_events_publisher = { topic = "events", role = "roles/pubsub.publisher", member = local.account.store }
    # store: a long upload's voices pass, once its clips are merged (decision 0010), and a
    # completed run's enrichment tasks (decision 0026).
    store_clips_publisher = { topic = "clips", role = "roles/pubsub.publisher", member = local.account.store }
    # corrections: the transcription.updated event of each correction.
    corrections_events_publisher = { topic = "events", role = "roles/pubsub.publisher", member = local.account.corrections }
    # watch: the completion event of a run it ends failed.
    watch_events_publisher = { topic = "events", role = "roles/pubsub.publisher", member = local.account.watch }
    # deletion: the `transcription.deleted` event (decision 0024).
    deletion_events_publisher = { topic = "events", role = "roles/pubsub.publisher", member = local.account.deletion }
    # watch: an enrichment stalled in processing, its task published again (decision 0026).
    watch_clips_publisher = { topic = "clips", role = "roles/pubsub.publisher", member = local.account.watch }
    # watch: hand a stalled upload back to the transcriber.
    watch_redrive_publisher = { topic = "redrive", role = "roles/pubsub.publisher", member = local.account.watch }
    # Cloud Scheduler's agent publishes the sweep ticks.
    sweep_publisher_scheduler_agent = { topic = "sweep", role = "roles/pubsub.publisher", member = local.agent.scheduler }
    # The Pub/Sub agent forwards undeliverable messages to the dead-letter topic.
    dead_letter_publisher_pubsub_agent = { topic = "dead_letter", role = "roles/pubsub.publisher", member = local.agent.pubsub }
  }

  # Roles on one service account: who may mint its tokens (act as it).
  account_grants = {
    # uploads: sign as itself through the IAM Credentials API (signBlob); it has no private key.
    uploads_token_creator_self = { account = "uploads", role = "roles/iam.serviceAccountTokenCreator", member = local.account.uploads }
    # reads: the same, for its GET URLs (on its own account only).
    reads_token_creator_self = { account = "reads", role = "roles/iam.serviceAccountTokenCreator", member = local.account.reads }
    # The Pub/Sub agent mints the OIDC token of the push invoker (older projects' agents lack this
    # through their default role).
    pubsub_agent_token_creator = { account = "push", role = "roles/iam.serviceAccountTokenCreator", member = local.agent.pubsub }
    # Eventarc's storage trigger also delivers through a Pub/Sub push subscription, authenticated
    # with an OIDC token of the trigger account: the agent must mint that one too.
    pubsub_agent_token_creator_trigger = { account = "trigger", role = "roles/iam.serviceAccountTokenCreator", member = local.agent.pubsub }
  }
}

resource "google_project_iam_member" "grant" {
  for_each = local.project_grants

  project = var.project_id
  role    = each.value.role
  member  = each.value.member
}

resource "google_storage_bucket_iam_member" "grant" {
  for_each = local.bucket_grants

  bucket = each.value.bucket
  role   = each.value.role
  member = each.value.member
}

resource "google_pubsub_topic_iam_member" "grant" {
  for_each = local.topic_grants

  project = var.project_id
  topic   = google_pubsub_topic.this[each.value.topic].name
  role    = each.value.role
  member  = each.value.member
}

resource "google_service_account_iam_member" "grant" {
  for_each = local.account_grants

  service_account_id = google_service_account.this[each.value.account].name
  role               = each.value.role
  member             = each.value.member
}

# Vertex mode only: transcribe calls Gemini on Vertex AI (generateContent / streamGenerateContent).
resource "google_project_iam_member" "transcribe_aiplatform_user" {
  count = local.developer_mode ? 0 : 1

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = local.account.transcribe
}

# Optional CMEK for the topics: the Pub/Sub agent encrypts and decrypts with the key.
resource "google_kms_crypto_key_iam_member" "pubsub_cmek" {
  count = var.pubsub_kms_key_name == null ? 0 : 1

  crypto_key_id = var.pubsub_kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = local.agent.pubsub
}

# build: push the built images to the functions' repository only.
resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = local.account.build
}

# build: 2nd-gen Cloud Functions copies the archive into its own
# gcf-v2-sources-<project-number>-<region> bucket and the build reads it from there. That bucket is
# created by the service, not by us, so the grant is project-level but conditioned on the bucket
# name (unverified offline, see docs/deploy.md).
resource "google_project_iam_member" "build_gcf_sources_reader" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = local.account.build

  condition {
    title       = "gcf-v2-sources buckets only"
    description = "Objects in the buckets Cloud Functions copies function sources into."
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
  }
}
