# Buckets. All: uniform bucket-level access, public access prevention enforced, object versioning
# (with noncurrent versions expiring), access logs to the log bucket.
#
# Uploads and results live in different buckets on purpose: the storage trigger fires for every
# object finalized in its bucket (Eventarc cannot filter on a prefix for direct storage events), so
# writing claim checks and exports elsewhere means the transcriber is never invoked by its own output.

locals {
  # Each bucket: its name after <project>-<prefix>-, and what sets it apart. By default a bucket logs
  # its access to the log bucket (`logged`) and keeps an overwritten or deleted object version for
  # var.noncurrent_version_retention_days (`noncurrent_days`). `expire` deletes objects `age` days
  # old (under `prefix`, in `state`); `abort_incomplete_days` aborts unfinished multipart uploads.
  buckets = {
    # Access logs of the other buckets (it does not log its own: that would need another log bucket).
    logs = { name = "access-logs", logged = false, expire = { age = var.access_log_retention_days } }
    # Uploaded media: uploads/<owner>/<file>; its finalize event triggers transcribe. An overwrite
    # starts a new transcription: the old version is only kept a short while. Resumable/multipart
    # uploads that never completed still cost storage. Browsers PUT to the upload function's
    # signed URLs from the viewer (uploads.tf): its CORS must allow the signed headers (the
    # signature, not CORS, decides what is written). Uploads are kept unless upload_retention_days.
    uploads = {
      name                  = "uploads"
      abort_incomplete_days = 7
      cors                  = { origins = local.upload_origins, headers = local.upload_signed_headers }
      expire                = var.upload_retention_days > 0 ? { age = var.upload_retention_days, prefix = [var.input_prefix], state = "LIVE" } : null
    }
    # Claim-check objects (message bodies too big for Pub/Sub push) and WebVTT/SRT/JSON exports,
    # all under output_prefix. Never triggers anything.
    results = { name = "results", expire = { age = var.results_retention_days, prefix = [var.output_prefix], state = "LIVE" } }
    # Function source archives, one object per content hash. A new hash replaces the object; the
    # old archive stays as a noncurrent version for a while (a rollback is a redeploy of an older
    # revision, which rebuilds the same hash anyway).
    source = { name = "source", noncurrent_days = 30 }
  }

  # A name, not a reference: a bucket cannot refer to another instance of its own resource. Cloud
  # Storage does not require the log bucket to exist when logging is set; it is created in the same
  # apply, long before the first hourly log.
  log_bucket_name = "${var.project_id}-${var.name_prefix}-${local.buckets.logs.name}"
}

resource "google_storage_bucket" "this" {
  #checkov:skip=CKV_GCP_62:Every bucket logs its access to the log bucket (the dynamic logging block) but the log bucket itself, the access-log sink: logging it would need another log bucket, and so on (logging to itself is CKV_GCP_63).
  for_each = local.buckets

  name                        = "${var.project_id}-${var.name_prefix}-${each.value.name}"
  project                     = var.project_id
  location                    = var.region # the storage trigger must be in the bucket's region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  dynamic "logging" {
    for_each = lookup(each.value, "logged", true) ? [each.key] : []
    content {
      log_bucket        = local.log_bucket_name
      log_object_prefix = "${logging.value}-bucket/"
    }
  }

  dynamic "cors" {
    for_each = lookup(each.value, "cors", null) == null ? [] : [each.value.cors]
    content {
      origin          = cors.value.origins
      method          = ["PUT"]
      response_header = cors.value.headers
      max_age_seconds = 3600
    }
  }

  dynamic "lifecycle_rule" {
    for_each = lookup(each.value, "expire", null) == null ? [] : [each.value.expire]
    content {
      condition {
        age            = lifecycle_rule.value.age
        matches_prefix = lookup(lifecycle_rule.value, "prefix", null)
        with_state     = lookup(lifecycle_rule.value, "state", null)
      }
      action {
        type = "Delete"
      }
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = lookup(each.value, "noncurrent_days", var.noncurrent_version_retention_days)
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = lookup(each.value, "abort_incomplete_days", null) == null ? [] : [each.value.abort_incomplete_days]
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "AbortIncompleteMultipartUpload"
      }
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
  bucket       = google_storage_bucket.this["source"].name
  source       = data.archive_file.source.output_path
  content_type = "application/zip"
}
