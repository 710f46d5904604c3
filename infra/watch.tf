# The watchdog (docs/decisions/0009-watchdog.md): nothing stays `processing` forever.
#
# - watch-dead-letter: a results chunk the store gave up on (dead-letter topic) ends its run failed;
# - watch-sweep: every var.sweep_schedule, Cloud Scheduler publishes a tick on the sweep topic and
#   the sweep re-drives (once) or fails transcriptions whose lease expired without progress;
# - transcribe-redrive: the transcriber's second entry point, fed by the re-drive topic; it runs
#   the same code and identity as transcribe, so a re-driven upload is claimed like a retried event.
# Each is fed by an Eventarc Pub/Sub trigger (its own subscription, with retries) under the trigger
# account. The dead-letter hold subscription (pubsub.tf) still keeps every dead letter.

locals {
  redrive_topic_id = "${var.name_prefix}-redrive"
  sweep_topic_id   = "${var.name_prefix}-sweep"

  # Settings of the watchdog's functions (functions.core.settings.Settings).
  watch_env = {
    TABSCRIBE_REDRIVE_TOPIC = google_pubsub_topic.redrive.name
    TABSCRIBE_STALL_S       = tostring(var.stall_seconds)
    # Pub/Sub retries a chunk at most max_delivery_attempts times, each at most the maximum
    # backoff (600 s, pubsub.tf) plus the store's timeout apart: until then a run whose final
    # chunk is out may still complete, and the sweep leaves it alone.
    TABSCRIBE_DELIVERY_HORIZON_S = tostring(var.max_delivery_attempts * (600 + var.store_timeout_seconds))
  }
}

# --- Topics --------------------------------------------------------------------------------------

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

# --- Identity and grants -------------------------------------------------------------------------

resource "google_service_account" "watch" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-watch"
  display_name = "Tabscribe watchdog functions (runtime: dead letters and the sweep)"
  depends_on   = [google_project_service.this]
}

# Read transcriptions/{id} and record `failed` or `redriven` on them (no per-collection IAM).
resource "google_project_iam_member" "watch_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.watch.member
}

# Publish the completion event of a run it ends failed (this topic only).
resource "google_pubsub_topic_iam_member" "watch_events_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.events.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.watch.member
}

# Hand a stalled upload back to the transcriber (this topic only).
resource "google_pubsub_topic_iam_member" "watch_redrive_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.redrive.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.watch.member
}

# Check that a stalled upload's object still exists, and read its metadata for the re-drive.
resource "google_storage_bucket_iam_member" "watch_uploads_viewer" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.watch.member
}

# The trigger identity calls the three functions fed by Pub/Sub triggers.
resource "google_cloud_run_v2_service_iam_member" "watch_invokers_trigger" {
  for_each = toset([
    google_cloudfunctions2_function.transcribe_redrive.name,
    google_cloudfunctions2_function.watch_dead_letter.name,
    google_cloudfunctions2_function.watch_sweep.name,
  ])

  project  = var.project_id
  location = var.region
  name     = each.value
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

resource "google_project_service_identity" "scheduler" {
  provider = google-beta
  project  = var.project_id
  service  = "cloudscheduler.googleapis.com"

  depends_on = [google_project_service.this]
}

# Cloud Scheduler's agent publishes the sweep ticks (this topic only).
resource "google_pubsub_topic_iam_member" "sweep_publisher_scheduler_agent" {
  project = var.project_id
  topic   = google_pubsub_topic.sweep.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.scheduler.email}"
}

# --- Functions -----------------------------------------------------------------------------------

resource "google_cloudfunctions2_function" "transcribe_redrive" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-transcribe-redrive"
  description = "A stalled upload re-driven by the watchdog -> the same transcriber code as transcribe."

  build_config {
    runtime           = "python311"
    entry_point       = "transcribe_redrive"
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
    service_account_email            = google_service_account.transcribe.email # same job, same grants
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"                   # only Eventarc calls it
    timeout_seconds                  = var.transcribe_timeout_seconds
    available_memory                 = var.transcribe_memory
    available_cpu                    = "1"
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = 1 # re-drives are rare; they must not starve fresh uploads
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

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.redrive.id
    retry_policy          = "RETRY_POLICY_RETRY" # as for a finalize event: Busy and transient errors
    service_account_email = google_service_account.trigger.email
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

resource "google_cloudfunctions2_function" "watch_dead_letter" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-watch-dead-letter"
  description = "A dead-lettered results chunk -> its run failed (naming the chunk) and the completion event."

  build_config {
    runtime           = "python311"
    entry_point       = "watch_dead_letter"
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
    service_account_email            = google_service_account.watch.email
    ingress_settings                 = "ALLOW_INTERNAL_ONLY" # only Eventarc calls it
    timeout_seconds                  = 60
    available_memory                 = "256Mi"
    available_cpu                    = "1"
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = 3
    all_traffic_on_latest_revision   = true

    environment_variables = merge(local.common_env, local.watch_env)
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.dead_letter.id
    retry_policy          = "RETRY_POLICY_RETRY" # a Firestore or Pub/Sub error is retried
    service_account_email = google_service_account.trigger.email
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

resource "google_cloudfunctions2_function" "watch_sweep" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-watch-sweep"
  description = "A scheduler tick -> transcriptions stalled in processing re-driven once, then failed."

  build_config {
    runtime           = "python311"
    entry_point       = "watch_sweep"
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
    service_account_email            = google_service_account.watch.email
    ingress_settings                 = "ALLOW_INTERNAL_ONLY" # only Eventarc calls it
    timeout_seconds                  = 300
    available_memory                 = "256Mi"
    available_cpu                    = "1"
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = 1 # one sweep at a time
    all_traffic_on_latest_revision   = true

    environment_variables = merge(local.common_env, local.watch_env)
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.sweep.id
    retry_policy          = "RETRY_POLICY_DO_NOT_RETRY" # the next tick comes soon anyway
    service_account_email = google_service_account.trigger.email
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

# --- Schedule ------------------------------------------------------------------------------------

resource "google_cloud_scheduler_job" "sweep" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-sweep"
  description = "Ticks the watchdog's sweep (stalled transcriptions are re-driven once, then failed)."
  schedule    = var.sweep_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.sweep.id
    data       = base64encode("{}")
  }

  depends_on = [google_pubsub_topic_iam_member.sweep_publisher_scheduler_agent]
}
