# APIs the deployment needs. disable_on_destroy = false: other workloads in the project may use them.
# Terraform itself needs Service Usage (to enable these) and Cloud Resource Manager (project IAM
# members) before it can do anything, so those two are enabled by hand once before the first
# apply (docs/deploy.md, "Prerequisites"); listing Resource Manager here keeps it on record.

locals {
  services = toset(concat(
    [
      "artifactregistry.googleapis.com",     # function images (Cloud Build pushes, Cloud Run pulls)
      "cloudbuild.googleapis.com",           # builds the function source
      "cloudfunctions.googleapis.com",       # 2nd-gen functions
      "cloudresourcemanager.googleapis.com", # project IAM members (google_project_iam_member)
      "cloudscheduler.googleapis.com",       # ticks the watchdog's sweep
      "eventarc.googleapis.com",             # the storage trigger of transcribe
      "firebase.googleapis.com",             # the viewer's Firebase project and web app
      "firebasehosting.googleapis.com",      # the viewer's Hosting site
      "firebaserules.googleapis.com",        # Firestore security rules release
      "firestore.googleapis.com",            # transcriptions and pages
      "iam.googleapis.com",                  # service accounts
      "iamcredentials.googleapis.com",       # signBlob: the upload function signs URLs without a key
      "identitytoolkit.googleapis.com",      # Firebase Authentication (the viewer's sign-in)
      "logging.googleapis.com",              # log-based metrics (monitoring.tf, metrics.tf)
      "monitoring.googleapis.com",           # alert policies and the dashboard
      "pubsub.googleapis.com",               # results / events / dead-letter topics
      "run.googleapis.com",                  # 2nd-gen functions run as Cloud Run services
      "storage.googleapis.com",              # upload, results, source and log buckets
    ],
    local.developer_mode ? [
      "generativelanguage.googleapis.com", # Gemini Developer API
      "secretmanager.googleapis.com",      # the API key secret
      ] : [
      "aiplatform.googleapis.com", # Gemini on Vertex AI
    ],
  ))
}

resource "google_project_service" "this" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
