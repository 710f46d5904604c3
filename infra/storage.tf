# Buckets. All: uniform bucket-level access, public access prevention enforced, object versioning
# (with noncurrent versions expiring), access logs to the log bucket.
#
# Uploads and results live in different buckets on purpose: the storage trigger fires for every
# object finalized in its bucket (Eventarc cannot filter on a prefix for direct storage events), so
# writing claim checks and exports elsewhere means the transcriber is never invoked by its own output.

# Access logs of the other buckets.
resource "google_storage_bucket" "logs" {
  #checkov:skip=CKV_GCP_62:This is the access-log sink itself; logging its access would need another log bucket, and so on (logging to itself is CKV_GCP_63).
  name                        = local.log_bucket_name
  project                     = var.project_id
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = var.access_log_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.this]
}

# Uploaded media: uploads/<owner>/<file>. The finalize event of this bucket triggers transcribe.
resource "google_storage_bucket" "uploads" {
  name                        = local.upload_bucket_name
  project                     = var.project_id
  location                    = var.region # the storage trigger must be in the bucket's region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  logging {
    log_bucket        = google_storage_bucket.logs.name
    log_object_prefix = "uploads-bucket/"
  }

  # Browsers PUT to the upload function's signed URLs from the viewer (uploads.tf): the preflight
  # must allow the signed headers. The signature, not CORS, decides what is written.
  cors {
    origin          = local.upload_origins
    method          = ["PUT"]
    response_header = local.upload_signed_headers
    max_age_seconds = 3600
  }

  # An overwrite starts a new transcription; the old media version is only kept for a short while.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # Resumable/multipart uploads that never completed still cost storage.
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.upload_retention_days > 0 ? [var.upload_retention_days] : []
    content {
      condition {
        age            = lifecycle_rule.value
        matches_prefix = [var.input_prefix]
        with_state     = "LIVE"
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.this]
}

# Claim-check objects (message bodies too big for Pub/Sub push) and WebVTT/SRT/JSON exports, all
# under output_prefix. Never triggers anything.
resource "google_storage_bucket" "results" {
  name                        = local.results_bucket_name
  project                     = var.project_id
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  logging {
    log_bucket        = google_storage_bucket.logs.name
    log_object_prefix = "results-bucket/"
  }

  lifecycle_rule {
    condition {
      age            = var.results_retention_days
      matches_prefix = [var.output_prefix]
      with_state     = "LIVE"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.this]
}

# Function source archives, one object per content hash.
resource "google_storage_bucket" "source" {
  name                        = local.source_bucket_name
  project                     = var.project_id
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  logging {
    log_bucket        = google_storage_bucket.logs.name
    log_object_prefix = "source-bucket/"
  }

  # A new source hash replaces the object; the old archive stays as a noncurrent version for
  # a while (rollback is a redeploy of an older revision, which rebuilds the same hash anyway).
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.this]
}

# Only main.py, requirements.txt and functions/** (see local.source_files). Each file goes in by
# content, so the archive (and its MD5) depends on the code only, not on timestamps or the checkout.
data "archive_file" "source" {
  type        = "zip"
  output_path = "${path.module}/.build/function-source.zip"

  dynamic "source" {
    for_each = local.source_files
    content {
      filename = source.value
      content  = file("${local.repo_root}/${source.value}")
    }
  }
}

# Content-hash name: any code change is a new object name, which updates both functions.
resource "google_storage_bucket_object" "source" {
  name         = "source-${data.archive_file.source.output_md5}.zip"
  bucket       = google_storage_bucket.source.name
  source       = data.archive_file.source.output_path
  content_type = "application/zip"
}
