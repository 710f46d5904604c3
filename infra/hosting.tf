# The web viewer (web/): a Firebase web app and the Hosting site that serves it. Terraform cannot
# upload files to Hosting, so cloudbuild.yaml's `viewer` steps write config.json from the outputs
# below and deploy web/dist with firebase-tools (docs/deploy.md, "The web viewer"). Sign-in is
# Firebase Authentication with the Google provider; the Firestore rules are the only gate.

locals {
  viewer_site_id = coalesce(var.viewer_site_id, "${var.project_id}-viewer")
}

resource "google_firebase_project" "this" {
  provider = google-beta
  project  = var.project_id

  depends_on = [google_project_service.this]
}

resource "google_firebase_web_app" "viewer" {
  provider     = google-beta
  project      = var.project_id
  display_name = "${var.name_prefix} viewer"

  depends_on = [google_firebase_project.this]
}

# apiKey, authDomain, …: identify the project to the Firebase SDK; not secrets.
data "google_firebase_web_app_config" "viewer" {
  provider   = google-beta
  project    = var.project_id
  web_app_id = google_firebase_web_app.viewer.app_id
}

resource "google_firebase_hosting_site" "viewer" {
  provider = google-beta
  project  = var.project_id
  site_id  = local.viewer_site_id
  app_id   = google_firebase_web_app.viewer.app_id
}
