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

resource "google_cloudfunctions2_function" "clip" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-transcribe-clip"
  description = "One clip of a long upload (Pub/Sub push) -> Gemini (streaming) -> result chunks."

  build_config {
    runtime           = "python311"
    entry_point       = "transcribe_clip"
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
    service_account_email = google_service_account.transcribe.email # the transcriber's rights
    ingress_settings      = "ALLOW_INTERNAL_ONLY"                   # only the push subscription calls it
    timeout_seconds       = var.transcribe_timeout_seconds
    available_memory      = var.transcribe_memory
    available_cpu         = "1"
    # One Gemini request per instance; the cap is the clips' share of the Gemini concurrency budget.
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = var.gemini_max_concurrent_clips
    all_traffic_on_latest_revision   = true

    environment_variables = merge(local.common_env, local.transcribe_env)

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

  depends_on = [
    google_project_service.this,
    time_sleep.service_agents_ready,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
    google_project_iam_member.build_gcf_sources_reader,
    google_secret_manager_secret_iam_member.transcribe_api_key,
  ]
}

# Push delivery of clip tasks, with retries and the dead-letter topic (as the store's, pubsub.tf).
resource "google_pubsub_subscription" "clip_push" {
  name    = "${var.name_prefix}-clip-push"
  project = var.project_id
  topic   = google_pubsub_topic.clips.id

  # For push this is also the HTTP timeout of one delivery: the clip function's timeout.
  ack_deadline_seconds       = var.transcribe_timeout_seconds
  message_retention_duration = "86400s"

  push_config {
    push_endpoint = google_cloudfunctions2_function.clip.service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      audience              = google_cloudfunctions2_function.clip.service_config[0].uri
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
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher_pubsub_agent,
    google_cloud_run_v2_service_iam_member.clip_invoker_push,
  ]
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

# The push subscription's OIDC identity invokes the clip function (and nothing else new).
resource "google_cloud_run_v2_service_iam_member" "clip_invoker_push" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.clip.name
  role     = "roles/run.invoker"
  member   = google_service_account.push_invoker.member
}

# Acknowledge a clip task on its subscription once it has been dead-lettered.
resource "google_pubsub_subscription_iam_member" "clip_push_subscriber_pubsub_agent" {
  project      = var.project_id
  subscription = google_pubsub_subscription.clip_push.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_project_service_identity.pubsub.email}"
}
