locals {
  developer_mode = var.gemini_mode == "developer"

  firestore_location = coalesce(var.firestore_location, var.region)

  # Function source: only what the functions import at run time. Paths are relative to the
  # repository root; everything else (tests/, infra/, docs/, .venv*, bench/ ...) stays out.
  repo_root       = "${path.module}/.."
  source_includes = ["main.py", "requirements.txt", "functions/**"]
  source_excludes = ["functions/**/__pycache__/**", "functions/**/*.pyc", "functions/**/.DS_Store"]
  source_files = sort(tolist(setsubtract(
    toset(flatten([for pattern in local.source_includes : fileset(local.repo_root, pattern)])),
    toset(flatten([for pattern in local.source_excludes : fileset(local.repo_root, pattern)])),
  )))

  # Settings shared by both functions; the names are the fields of functions.core.settings.Settings.
  common_env = {
    GOOGLE_CLOUD_PROJECT         = var.project_id
    TABSCRIBE_INPUT_PREFIX       = var.input_prefix
    TABSCRIBE_OUTPUT_PREFIX      = var.output_prefix
    TABSCRIBE_RESULTS_BUCKET     = google_storage_bucket.this["results"].name
    TABSCRIBE_RESULTS_TOPIC      = google_pubsub_topic.this["results"].name
    TABSCRIBE_CLIPS_TOPIC        = google_pubsub_topic.this["clips"].name
    TABSCRIBE_EVENTS_TOPIC       = google_pubsub_topic.this["events"].name
    TABSCRIBE_FIRESTORE_DATABASE = google_firestore_database.main.name
    TABSCRIBE_LOG_LEVEL          = var.log_level
  }

  # Per-function settings. The time budget leaves room to record the outcome (or raise for a
  # retry) before the platform's timeout stops the instance.
  # The Gemini settings go to the transcriber only: Settings rejects developer mode without
  # GEMINI_API_KEY, and only the transcriber gets the key (functions.tf), so the store must run
  # with the default (vertex) mode, which it never uses.
  transcribe_env = {
    TABSCRIBE_GEMINI_MODE   = var.gemini_mode
    TABSCRIBE_LOCATION      = var.gemini_location
    TABSCRIBE_MODEL         = var.gemini_model
    TABSCRIBE_TIME_BUDGET_S = tostring(var.transcribe_timeout_seconds - 60)
  }

  # The daily caps (decision 0019): the upload function reserves them before it signs, the
  # transcriber checks them again before any model call; both must read the same values.
  caps_env = {
    TABSCRIBE_CAP_USER_MEDIA_H = var.cap_user_media_h
    TABSCRIBE_CAP_USER_USD     = var.cap_user_usd
    TABSCRIBE_CAP_PROJECT_USD  = var.cap_project_usd
  }
}
