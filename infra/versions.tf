terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    # For google_project_service_identity (creates the Eventarc and Pub/Sub service agents up
    # front, see iam.tf) and the Firebase resources of the viewer (hosting.tf), which are beta;
    # keep it on the same version as google.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.50.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.1"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.13.1"
    }
  }

  # Partial configuration: the state bucket (and prefix) come from
  # `terraform init -backend-config=bucket=... -backend-config=prefix=...` (see docs/deploy.md).
  backend "gcs" {}
}

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = var.labels
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
