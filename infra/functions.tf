# The functions, one entry each of local.functions, each an instance of modules/function (the
# function and its invoker grant), all built from the content-hashed source archive (storage.tf).
# An entry says what differs from the module's defaults (256Mi, 60 s, one instance, internal
# ingress); its environment is `env`. Their runtime accounts and grants are in iam.tf.

# Images of the functions; old images are cleaned up so storage does not grow with every deploy.
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

locals {
  finalized         = "google.cloud.storage.object.v1.finalized"
  message_published = "google.cloud.pubsub.topic.v1.messagePublished"

  # Settings several functions share, named by an entry's `like`. The transcriber's three entry
  # points run the same code as the same account (its grants), with its settings, the Gemini API
  # key in developer mode, its timeout and memory.
  function_kinds = {
    transcriber = {
      account = google_service_account.this["transcribe"].email
      env     = merge(local.common_env, local.transcribe_env, local.caps_env, local.batch_env)
      secrets = local.developer_mode ? { GEMINI_API_KEY = google_secret_manager_secret.gemini_api_key[0].secret_id } : {}
      timeout = var.transcribe_timeout_seconds
      memory  = var.transcribe_memory
    }
    # The watchdog's two functions: its account and settings (decision 0009).
    watchdog = {
      account = google_service_account.this["watch"].email
      env     = merge(local.common_env, local.watch_env)
    }
  }

  functions = {
    transcribe = {
      like        = "transcriber"
      description = "Upload finalized -> Gemini (streaming) -> result chunks on the results topic."
      entry_point = "transcribe_upload"
      # One Gemini request per instance: the cap is the Gemini concurrency budget.
      max_instances = var.gemini_max_concurrent_requests
      invoker       = local.account.trigger
      # Transient failures raise and are redelivered.
      trigger = { event_type = local.finalized, retry_policy = "RETRY_POLICY_RETRY", bucket = google_storage_bucket.this["uploads"].name }
    }
    # Long media (decision 0010): one clip of a long upload, its voices pass or a continuation.
    transcribe_clip = {
      like          = "transcriber"
      description   = "One clip of a long upload (Pub/Sub push) -> Gemini (streaming) -> result chunks."
      entry_point   = "transcribe_clip"
      max_instances = var.gemini_max_concurrent_clips # the clips' share of the Gemini budget
      invoker       = local.account.push
    }
    # The watchdog's re-drive (decision 0009): the same code and identity as transcribe.
    transcribe_redrive = {
      like        = "transcriber"
      description = "A stalled upload re-driven by the watchdog -> the same transcriber code as transcribe."
      entry_point = "transcribe_redrive"
      invoker     = local.account.trigger # re-drives are rare: one instance
      trigger     = { event_type = local.message_published, retry_policy = "RETRY_POLICY_RETRY", pubsub_topic = google_pubsub_topic.this["redrive"].id }
    }
    store = {
      description   = "Result chunks (Pub/Sub push) -> Firestore; completion events on the events topic."
      entry_point   = "store_transcription"
      account       = google_service_account.this["store"].email
      env           = local.common_env # the store has no time budget or Gemini settings
      timeout       = var.store_timeout_seconds
      memory        = var.store_memory
      max_instances = var.store_max_instances
      invoker       = local.account.push
    }
    watch_dead_letter = {
      like          = "watchdog"
      description   = "A dead-lettered results chunk -> its run failed (naming the chunk) and the completion event."
      entry_point   = "watch_dead_letter"
      max_instances = 3
      invoker       = local.account.trigger
      # A Firestore or Pub/Sub error is retried.
      trigger = { event_type = local.message_published, retry_policy = "RETRY_POLICY_RETRY", pubsub_topic = google_pubsub_topic.this["dead_letter"].id }
    }
    watch_sweep = {
      like        = "watchdog"
      description = "A scheduler tick -> transcriptions stalled in processing re-driven once, then failed."
      entry_point = "watch_sweep"
      timeout     = 300
      invoker     = local.account.trigger # one sweep at a time
      # A missed tick is not worth retrying: the next one comes soon.
      trigger = { event_type = local.message_published, retry_policy = "RETRY_POLICY_DO_NOT_RETRY", pubsub_topic = google_pubsub_topic.this["sweep"].id }
    }
    # Batch mode's poll (decision 0032, batch.tf): the transcriber's code and identity on the
    # sweep's tick; it publishes a finished job's answers, so the transcriber's timeout.
    batch_poll = {
      like        = "transcriber"
      description = "A scheduler tick -> batches sealed, submitted, followed; a finished job's answers as result chunks."
      entry_point = "batch_poll"
      invoker     = local.account.trigger # one poll at a time
      # A missed tick is not worth retrying: the next one comes soon.
      trigger = { event_type = local.message_published, retry_policy = "RETRY_POLICY_DO_NOT_RETRY", pubsub_topic = google_pubsub_topic.this["sweep"].id }
    }
    # Browsers call the upload function (decision 0011): anyone may reach it, and it refuses any
    # request without a valid Firebase ID token (401).
    uploads = {
      description   = "Firebase ID token -> a V4 signed URL to PUT media under uploads/<uid>/."
      entry_point   = "upload_url"
      account       = google_service_account.this["uploads"].email
      env           = merge(local.upload_env, local.caps_env)
      timeout       = 30
      max_instances = var.upload_max_instances
      ingress       = "ALLOW_ALL"
      invoker       = "allUsers"
    }
    # Browsers call the reads function (decision 0022) the same way: it refuses any request
    # without a valid Firebase ID token (401), and another user's transcription (403).
    reads = {
      description   = "Firebase ID token -> a V4 signed URL to GET the caller's media or an export."
      entry_point   = "media_url"
      account       = google_service_account.this["reads"].email
      env           = local.read_env
      timeout       = 30
      max_instances = var.upload_max_instances
      ingress       = "ALLOW_ALL"
      invoker       = "allUsers"
    }
    # The owner's corrections (decision 0023), called from browsers like the upload function: it
    # refuses any request without a valid Firebase ID token (401) or for another's transcription.
    corrections = {
      description   = "Firebase ID token -> the owner's correction of a finished transcription (rename, merge, undo)."
      entry_point   = "correct_transcription"
      account       = google_service_account.this["corrections"].email
      env           = local.corrections_env
      timeout       = 60
      memory        = "512Mi" # a long transcript's pages and exports in memory
      max_instances = var.upload_max_instances
      ingress       = "ALLOW_ALL"
      invoker       = "allUsers"
    }
    # A run's completion event -> the owner's corrections carried over to it (decision 0023).
    corrections_carry = {
      description   = "A completion event -> the owner's corrections carried over to the new run where its voices match."
      entry_point   = "carry_corrections"
      account       = google_service_account.this["corrections"].email
      env           = local.corrections_env
      timeout       = 60
      memory        = "512Mi"
      max_instances = 3
      invoker       = local.account.trigger
      # A Firestore, Storage or Pub/Sub error is retried; an `updated` event is ignored.
      trigger = { event_type = local.message_published, retry_policy = "RETRY_POLICY_RETRY", pubsub_topic = google_pubsub_topic.this["events"].id }
    }
    # Browsers call the deletion function too (decision 0024): it refuses any request without a
    # valid Firebase ID token (401), and any caller but the transcription's owner (403).
    deletion = {
      description   = "Firebase ID token -> the owner's transcription, media and results deleted."
      entry_point   = "delete_transcription"
      account       = google_service_account.this["deletion"].email
      env           = local.deletion_env
      timeout       = 120 # a long transcript's pages and clips, and the media's generations
      max_instances = 3
      ingress       = "ALLOW_ALL"
      invoker       = "allUsers"
    }
  }
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  project_id      = var.project_id
  region          = var.region
  name            = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  function        = merge(try(local.function_kinds[each.value.like], {}), each.value)
  trigger_account = google_service_account.this["trigger"].email
  build = {
    account    = google_service_account.this["build"].id
    repository = google_artifact_registry_repository.functions.id
    bucket     = google_storage_bucket.this["source"].name
    object     = google_storage_bucket_object.source.name
  }

  depends_on = [
    google_project_service.this,
    time_sleep.service_agents_ready,
    google_project_iam_member.grant,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.grant,
    google_project_iam_member.build_gcf_sources_reader,
    google_service_account_iam_member.grant,
    google_secret_manager_secret_iam_member.transcribe_api_key,
  ]
}
