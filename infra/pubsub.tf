# Topics: results (transcribe -> store), events (completion events for any subscriber), the clips
# of long uploads, the watchdog's re-drive and sweep, and the dead-letter topic of the push
# subscriptions, with a pull subscription so nothing sent there is lost.

# One entry per topic: its retention, how far back a subscription created later may seek (null:
# none beyond what subscriptions keep). The id is the key with hyphens: tabscribe-dead-letter.
locals {
  topics = {
    results     = "86400s"  # result chunks, transcribe -> store: an operator may seek back one day
    events      = "604800s" # completion events: nobody may be subscribed yet, 7 days to seek back
    dead_letter = null      # what the push subscriptions gave up on (held by the subscription below)
    # Long media (decision 0010): one message per clip of a long upload, pushed to the clip function.
    clips   = "86400s"
    redrive = null # the watchdog hands a stalled upload back to the transcriber (watch.tf)
    sweep   = null # Cloud Scheduler's ticks of the watchdog's sweep (watch.tf)
  }
}

resource "google_pubsub_topic" "this" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in through var.pubsub_kms_key_name; by default messages (transcript chunks, clip tasks, events and ticks, retained at most 7 days) use Google-managed encryption at rest.
  for_each = local.topics

  name                       = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  project                    = var.project_id
  kms_key_name               = var.pubsub_kms_key_name
  message_retention_duration = each.value

  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.pubsub_cmek]
}

# Keeps every dead-lettered message for inspection and replay (docs/deploy.md, "Dead letters").
resource "google_pubsub_subscription" "dead_letter" {
  name                       = "${google_pubsub_topic.this["dead_letter"].name}-hold"
  project                    = var.project_id
  topic                      = google_pubsub_topic.this["dead_letter"].id
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
      topic     = google_pubsub_topic.this["results"].id
      function  = "store"
      timeout   = var.store_timeout_seconds
      retention = "604800s"
    }
    clip = {
      topic     = google_pubsub_topic.this["clips"].id
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
  push_account               = google_service_account.this["push"].email
  ack_deadline_seconds       = each.value.timeout # the push timeout: the function's
  message_retention_duration = each.value.retention
  dead_letter_topic          = google_pubsub_topic.this["dead_letter"].id
  max_delivery_attempts      = var.max_delivery_attempts
  pubsub_agent               = local.agent.pubsub

  # Pushing before the push identity may invoke the function would only be retried, but wait.
  depends_on = [google_pubsub_topic_iam_member.grant, module.function]
}
