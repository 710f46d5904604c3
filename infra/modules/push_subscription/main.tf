# A push subscription to a function: retried with backoff, dead-lettered after
# max_delivery_attempts, never expiring. Owning the subscription (instead of a Pub/Sub trigger on
# the function) is what allows the dead-letter topic (docs/decisions/0004).

resource "google_pubsub_subscription" "this" {
  name    = var.name
  project = var.project_id
  topic   = var.topic

  # For push this is also the HTTP timeout of one delivery: the function's timeout.
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = var.message_retention_duration

  push_config {
    push_endpoint = var.endpoint

    oidc_token {
      service_account_email = var.push_account
      audience              = var.endpoint
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = var.dead_letter_topic
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = "" # a quiet month must not delete a pipeline's subscription
  }
}

# Pub/Sub's agent acknowledges a message here once it has been dead-lettered.
resource "google_pubsub_subscription_iam_member" "dead_letter_ack" {
  project      = var.project_id
  subscription = google_pubsub_subscription.this.name
  role         = "roles/pubsub.subscriber"
  member       = var.pubsub_agent
}
