# Long media (docs/decisions/0010-long-media-clips.md): the transcriber plans a long upload as
# clips and publishes one message per clip on the clips topic; a push subscription delivers each
# to the clip function (the transcriber's code, entry point transcribe_clip), which calls Gemini
# for its clip and streams the rows to the results topic like any run.

resource "google_pubsub_topic" "clips" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default clip tasks (object names, plans, prompts; no transcript text) use Google-managed encryption at rest.
  name                       = local.clips_topic_id
  project                    = var.project_id
  kms_key_name               = var.pubsub_kms_key_name
  message_retention_duration = "86400s"

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

# The transcriber publishes a long upload's clips and the continuations of cut-off runs
# (decisions 0010, 0013; this topic only).
resource "google_pubsub_topic_iam_member" "transcribe_clips_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.clips.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.transcribe.member
}

# The store asks a long upload's voices pass, once its clips are merged (decision 0010).
resource "google_pubsub_topic_iam_member" "store_clips_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.clips.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.store.member
}

