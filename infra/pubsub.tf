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

# Push delivery of result chunks to the store function. Owning the subscription (instead of a
# Pub/Sub trigger on the function) is what allows a dead-letter topic (docs/decisions/0004).
resource "google_pubsub_subscription" "store_push" {
  name    = "${var.name_prefix}-store-push"
  project = var.project_id
  topic   = google_pubsub_topic.results.id

  # For push this is also the HTTP timeout of one delivery: the store function's timeout.
  ack_deadline_seconds       = var.store_timeout_seconds
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = google_cloudfunctions2_function.store.service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      audience              = google_cloudfunctions2_function.store.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = "" # a quiet month must not delete the pipeline's only subscription
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher_pubsub_agent,
    google_cloud_run_v2_service_iam_member.store_invoker_push,
  ]
}
