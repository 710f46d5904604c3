# Developer mode only: the Gemini API key. Terraform creates the secret, never its value (that would
# put the key in the state); add the value once with
#   printf %s "$KEY" | gcloud secrets versions add <name_prefix>-gemini-api-key --data-file=-
# before the functions are created (docs/deploy.md, "Developer mode").

resource "google_secret_manager_secret" "gemini_api_key" {
  count = local.developer_mode ? 1 : 0

  project   = var.project_id
  secret_id = "${var.name_prefix}-gemini-api-key"

  replication {
    auto {}
  }

  depends_on = [google_project_service.this]
}

# The transcriber reads this secret, and no other.
resource "google_secret_manager_secret_iam_member" "transcribe_api_key" {
  count = local.developer_mode ? 1 : 0

  project   = var.project_id
  secret_id = google_secret_manager_secret.gemini_api_key[0].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.account.transcribe
}
