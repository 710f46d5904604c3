# The two 2nd-gen functions, built from the content-hashed source archive (storage.tf).

# Images of both functions; old images are cleaned up so storage does not grow with every deploy.
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Holds only the functions' build images (code and pinned dependencies, no user data); Google-managed encryption at rest, like the default gcf-artifacts repository it replaces.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-functions"
  description   = "Images of the Tabscribe functions (built by Cloud Build from the source archive)."
  format        = "DOCKER"

  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s" # 30 days
    }
  }

  depends_on = [google_project_service.this]
}

resource "google_cloudfunctions2_function" "transcribe" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-transcribe"
  description = "Upload finalized -> Gemini (streaming) -> result chunks on the results topic."

  build_config {
    runtime           = "python311"
    entry_point       = "transcribe_upload"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.transcribe.email
    ingress_settings      = "ALLOW_INTERNAL_ONLY" # only Eventarc calls it
    timeout_seconds       = var.transcribe_timeout_seconds
    available_memory      = var.transcribe_memory
    available_cpu         = "1"
    # One Gemini request per instance; the instance cap is the Gemini concurrency budget, so a burst
    # of uploads queues (events are retried) instead of exceeding the quota.
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = var.gemini_max_concurrent_requests
    all_traffic_on_latest_revision   = true

    environment_variables = merge(local.common_env, local.transcribe_env)

    # Developer mode only: the API key, read from Secret Manager at instance start.
    dynamic "secret_environment_variables" {
      for_each = local.developer_mode ? [google_secret_manager_secret.gemini_api_key[0].secret_id] : []
      content {
        key        = "GEMINI_API_KEY"
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY" # transient failures raise and are redelivered
    service_account_email = google_service_account.trigger.email

    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.uploads.name
    }
  }

  depends_on = [
    google_project_service.this,
    time_sleep.service_agents_ready,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
    google_project_iam_member.build_gcf_sources_reader,
    google_project_iam_member.trigger_event_receiver,
    google_service_account_iam_member.pubsub_agent_token_creator_trigger,
    google_secret_manager_secret_iam_member.transcribe_api_key,
  ]
}

resource "google_cloudfunctions2_function" "store" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-store"
  description = "Result chunks (Pub/Sub push) -> Firestore; completion events on the events topic."

  build_config {
    runtime           = "python311"
    entry_point       = "store_transcription"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.store.email
    ingress_settings      = "ALLOW_INTERNAL_ONLY" # only the push subscription (same project) calls it
    timeout_seconds       = var.store_timeout_seconds
    available_memory      = var.store_memory
    available_cpu         = "1"
    # One message at a time per instance: a chunk is a short burst of Firestore writes.
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = var.store_max_instances
    all_traffic_on_latest_revision   = true

    environment_variables = local.common_env # the store has no time budget or Gemini settings
  }

  depends_on = [
    google_project_service.this,
    time_sleep.service_agents_ready,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
    google_project_iam_member.build_gcf_sources_reader,
  ]
}
