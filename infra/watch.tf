# The watchdog (docs/decisions/0009-watchdog.md): nothing stays `processing` forever.
#
# - watch-dead-letter: a results chunk the store gave up on (dead-letter topic) ends its run failed;
# - watch-sweep: every var.sweep_schedule, Cloud Scheduler publishes a tick on the sweep topic and
#   the sweep re-drives (once) or fails transcriptions whose lease expired without progress;
# - transcribe-redrive: the transcriber's second entry point, fed by the re-drive topic; it runs
#   the same code and identity as transcribe, so a re-driven upload is claimed like a retried event.
# Each is fed by an Eventarc Pub/Sub trigger (its own subscription, with retries) under the trigger
# account. The dead-letter hold subscription (pubsub.tf) still keeps every dead letter. Their
# topics are in pubsub.tf, their identity and grants in iam.tf, their functions in functions.tf.

locals {
  # Settings of the watchdog's functions (functions.core.settings.Settings).
  watch_env = {
    TABSCRIBE_REDRIVE_TOPIC = google_pubsub_topic.this["redrive"].name
    TABSCRIBE_STALL_S       = tostring(var.stall_seconds)
    # Pub/Sub retries a chunk at most max_delivery_attempts times, each at most the maximum
    # backoff (600 s, pubsub.tf) plus the store's timeout apart: until then a run whose final
    # chunk is out may still complete, and the sweep leaves it alone.
    TABSCRIBE_DELIVERY_HORIZON_S = tostring(var.max_delivery_attempts * (600 + var.store_timeout_seconds))
  }
}

resource "google_cloud_scheduler_job" "sweep" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-sweep"
  description = "Ticks the watchdog's sweep (stalled transcriptions are re-driven once, then failed)."
  schedule    = var.sweep_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.this["sweep"].id
    data       = base64encode("{}")
  }

  depends_on = [google_pubsub_topic_iam_member.grant]
}
