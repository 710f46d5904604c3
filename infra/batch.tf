# Batch mode (docs/decisions/0031-batch-collector.md, 0032-batch-mode.md): an upload's requests go
# to Gemini's batch service at half the price.
#
# - the transcriber's three entry points add requests to batches (their settings: batch_env);
# - batch-poll: on the sweep's Cloud Scheduler tick (its own Eventarc trigger on the sweep topic),
#   seals, submits and follows the batches and publishes a finished job's answers as result
#   chunks. It is the transcriber's code and identity (functions.tf, `like = "transcriber"`);
# - Vertex mode: the jobs read their JSONL input and write their output under the results
#   bucket's `{output prefix}batches/`, and read the media the lines name in the uploads bucket,
#   as the Vertex AI service agent ("make sure the AI Platform Service Agent has permission",
#   cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-from-cloud-storage,
#   read 2026-12-07). The Gemini API takes inlined requests or a Files API upload: no grant.

locals {
  # Settings of the transcriber's functions (functions.core.settings.Settings).
  batch_env = {
    TABSCRIBE_BATCH_PREFIXES = jsonencode(var.batch_prefixes)
    TABSCRIBE_BATCH_MAX      = var.batch_max
    TABSCRIBE_BATCH_WAIT_S   = var.batch_wait_seconds
  }
}

# The Vertex AI service agent (created on demand, like the other agents in iam.tf).
resource "google_project_service_identity" "aiplatform" {
  count    = local.developer_mode ? 0 : 1
  provider = google-beta

  project    = var.project_id
  service    = "aiplatform.googleapis.com"
  depends_on = [google_project_service.this]
}

# Vertex mode: the batch jobs read their JSONL input and write their output (objectUser: a
# re-submitted batch rewrites its input) under the results bucket's batches/ folder.
resource "google_storage_bucket_iam_member" "batch_agent_results" {
  count = local.developer_mode ? 0 : 1

  bucket = google_storage_bucket.this["results"].name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_project_service_identity.aiplatform[0].email}"
}

# Vertex mode: the batch jobs read the media their lines name (gs:// URIs of the uploads).
resource "google_storage_bucket_iam_member" "batch_agent_uploads" {
  count = local.developer_mode ? 0 : 1

  bucket = google_storage_bucket.this["uploads"].name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_project_service_identity.aiplatform[0].email}"
}
