# Topics: results (transcribe -> store), events (completion events for any subscriber) and the
# dead-letter topic of the push subscription, with a pull subscription so nothing sent there is lost.

resource "google_pubsub_topic" "results" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default messages (transient transcript chunks, retained at most 7 days) use Google-managed encryption at rest.
  name                       = local.results_topic_id
  project                    = var.project_id
  kms_key_name               = var.pubsub_kms_key_name
  message_retention_duration = "86400s" # lets an operator seek a fixed subscription back one day

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

resource "google_pubsub_topic" "events" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default completion events (ids and statuses, no transcript text) use Google-managed encryption at rest.
  name         = local.events_topic_id
  project      = var.project_id
  kms_key_name = var.pubsub_kms_key_name
  # Nobody may be subscribed yet; topic retention lets a subscriber created later seek back 7 days.
  message_retention_duration = "604800s"

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default dead-lettered chunks (retained at most 7 days) use Google-managed encryption at rest.
  name         = local.dead_letter_topic_id
  project      = var.project_id
  kms_key_name = var.pubsub_kms_key_name

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

# Keeps every dead-lettered message for inspection and replay (docs/deploy.md, "Dead letters").
resource "google_pubsub_subscription" "dead_letter" {
  name                       = "${local.dead_letter_topic_id}-hold"
  project                    = var.project_id
  topic                      = google_pubsub_topic.dead_letter.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s" # the maximum: 7 days to look at and replay them
  retain_acked_messages      = true

  expiration_policy {
    ttl = "" # never expires, however long no one reads it
  }
}

# Push delivery to a function, with retries and the dead-letter topic (modules/push_subscription):
# result chunks to the store, clip tasks of long uploads to the clip function (decision 0010).
locals {
  push_subscriptions = {
    store = {
      topic     = google_pubsub_topic.results.id
      function  = "store"
      timeout   = var.store_timeout_seconds
      retention = "604800s"
    }
    clip = {
      topic     = google_pubsub_topic.clips.id
      function  = "transcribe_clip"
      timeout   = var.transcribe_timeout_seconds
      retention = "86400s"
    }
  }
}

module "push" {
  source   = "./modules/push_subscription"
  for_each = local.push_subscriptions

  project_id                 = var.project_id
  name                       = "${var.name_prefix}-${each.key}-push"
  topic                      = each.value.topic
  endpoint                   = module.function[each.value.function].uri
  push_account               = google_service_account.push_invoker.email
  ack_deadline_seconds       = each.value.timeout # the push timeout: the function's
  message_retention_duration = each.value.retention
  dead_letter_topic          = google_pubsub_topic.dead_letter.id
  max_delivery_attempts      = var.max_delivery_attempts
  pubsub_agent               = "serviceAccount:${google_project_service_identity.pubsub.email}"

  # Pushing before the push identity may invoke the function would only be retried, but wait.
  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher_pubsub_agent, module.function]
}

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
