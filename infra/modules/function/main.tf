# One 2nd-gen function of the source archive: built by the build account, run by the account its
# entry gives, called by its invoker only (the trigger's or the push subscription's identity).

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.function.description

  build_config {
    runtime           = "python311"
    entry_point       = var.function.entry_point
    service_account   = var.build.account
    docker_repository = var.build.repository

    source {
      storage_source {
        bucket = var.build.bucket
        object = var.build.object
      }
    }
  }

  service_config {
    service_account_email = var.function.account
    ingress_settings      = var.function.ingress
    timeout_seconds       = var.function.timeout
    available_memory      = var.function.memory
    available_cpu         = "1"
    # One request per instance: a Gemini call, a chunk's Firestore writes or one signed URL. The
    # instance cap is then the concurrency budget (a burst queues and is retried).
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = var.function.max_instances
    all_traffic_on_latest_revision   = true

    environment_variables = var.function.env

    # Secret Manager secrets as environment variables, read at instance start.
    dynamic "secret_environment_variables" {
      for_each = var.function.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  dynamic "event_trigger" {
    for_each = var.function.trigger == null ? [] : [var.function.trigger]
    content {
      trigger_region        = var.region
      event_type            = event_trigger.value.event_type
      pubsub_topic          = event_trigger.value.pubsub_topic
      retry_policy          = event_trigger.value.retry_policy
      service_account_email = var.trigger_account

      dynamic "event_filters" {
        for_each = event_trigger.value.bucket == null ? [] : [event_trigger.value.bucket]
        content {
          attribute = "bucket"
          value     = event_filters.value
        }
      }
    }
  }
}

# Its one caller calls it (a 2nd-gen function's Cloud Run service has the function's name).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = var.function.invoker
}
