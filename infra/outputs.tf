output "upload_bucket" {
  description = "Bucket to upload media to, under <input_prefix><owner>/."
  value       = google_storage_bucket.this["uploads"].name
}

output "upload_example" {
  description = "How to start a transcription."
  value       = "gcloud storage cp talk.mp4 gs://${google_storage_bucket.this["uploads"].name}/${var.input_prefix}<owner-uid>/talk.mp4"
}

output "results_bucket" {
  description = "Bucket of claim-check objects and exports (under output_prefix)."
  value       = google_storage_bucket.this["results"].name
}

output "access_log_bucket" {
  description = "Bucket receiving the other buckets' access logs."
  value       = google_storage_bucket.this["logs"].name
}

output "results_topic" {
  description = "Topic id of the result chunks (transcribe -> store)."
  value       = google_pubsub_topic.this["results"].name
}

output "events_topic" {
  description = "Topic id of the completion events; subscribe here for downstream processing."
  value       = google_pubsub_topic.this["events"].name
}

output "dead_letter_topic" {
  description = "Topic id of messages the store function could not process."
  value       = google_pubsub_topic.this["dead_letter"].name
}

output "dead_letter_subscription" {
  description = "Pull subscription holding the dead-lettered messages for inspection and replay."
  value       = google_pubsub_subscription.dead_letter.name
}

output "store_push_subscription" {
  description = "Push subscription delivering result chunks to the store function."
  value       = module.push["store"].name
}

output "transcribe_function" {
  description = "Name of the transcribe function."
  value       = module.function["transcribe"].name
}

output "store_function" {
  description = "Name of the store function."
  value       = module.function["store"].name
}

output "store_function_uri" {
  description = "Internal-ingress URI of the store function (the push endpoint)."
  value       = module.function["store"].uri
}

output "source_object" {
  description = "Content-hashed source archive both functions run (what a rollback redeploys)."
  value       = "gs://${google_storage_bucket.this["source"].name}/${google_storage_bucket_object.source.name}"
}

output "watch_functions" {
  description = "The watchdog's functions: dead letters, the sweep, and the transcriber's re-drive entry point."
  value = {
    dead_letter = module.function["watch_dead_letter"].name
    sweep       = module.function["watch_sweep"].name
    redrive     = module.function["transcribe_redrive"].name
  }
}

output "redrive_topic" {
  description = "Topic id on which the sweep hands stalled uploads back to the transcriber."
  value       = google_pubsub_topic.this["redrive"].name
}

output "service_accounts" {
  description = "Service account per role."
  value       = { for key, account in google_service_account.this : key => account.email }
}

output "firestore_database" {
  description = "Firestore database id."
  value       = google_firestore_database.main.name
}

output "gemini_api_key_secret" {
  description = "Developer mode: the secret to add the API key to (null in vertex mode)."
  value       = local.developer_mode ? google_secret_manager_secret.gemini_api_key[0].secret_id : null
}

output "upload_url" {
  description = "The upload function's URL (POST a Firebase ID token and a file's description)."
  value       = module.function["uploads"].url
}

output "media_url" {
  description = "The reads function's URL (POST a Firebase ID token and {transcription, object})."
  value       = module.function["reads"].url
}

output "corrections_url" {
  description = "The corrections function's URL (POST a Firebase ID token and a correction)."
  value       = module.function["corrections"].url
}

output "deletion_url" {
  description = "The deletion function's URL (POST a Firebase ID token and a transcription id)."
  value       = module.function["deletion"].url
}

output "viewer_url" {
  description = "The web viewer (deployed by cloudbuild.yaml's viewer steps)."
  value       = google_firebase_hosting_site.viewer.default_url
}

output "viewer_site" {
  description = "Firebase Hosting site id of the web viewer (firebase-tools deploys to it)."
  value       = google_firebase_hosting_site.viewer.site_id
}

output "viewer_config" {
  description = "The viewer's config.json: the Firebase web config, the Firestore database, the upload, reads and corrections functions."
  value = jsonencode({
    database    = var.firestore_database
    uploads     = module.function["uploads"].url
    reads       = module.function["reads"].url
    corrections = module.function["corrections"].url
    deletion    = module.function["deletion"].url
    firebase = {
      apiKey     = data.google_firebase_web_app_config.viewer.api_key
      authDomain = data.google_firebase_web_app_config.viewer.auth_domain
      projectId  = var.project_id
      appId      = google_firebase_web_app.viewer.app_id
    }
  })
  sensitive = true # the provider marks api_key sensitive; `terraform output -raw` still prints it
}

output "batch_poll_function" {
  description = "Batch mode's poll (decision 0032): seals, submits and follows the batches on the sweep's tick."
  value       = module.function["batch_poll"].name
}
