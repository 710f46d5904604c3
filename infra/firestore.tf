# Firestore (native mode): transcriptions/{id} with ordered pages/{n}, read live by the apps.

resource "google_firestore_database" "main" {
  project                           = var.project_id
  name                              = var.firestore_database
  location_id                       = local.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC" # leases are taken in transactions
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = var.firestore_point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # Removing the resource from Terraform never deletes the data; delete it deliberately if wanted.
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.this]
}

# Single-field index exemptions: large or often-rewritten fields that are never queried. Indexing
# them costs a write per entry and truncates values at 1,500 bytes; an empty index_config removes
# every automatic index of the field. The queries: pages ordered by `index`, and the viewer's list
# (composite index below).
locals {
  # TTL: documents whose expire_at (a timestamp written by the app, if it wants expiry) is in the
  # past are deleted within about a day. A TTL on the parent does not delete its subcollection, so
  # pages carry the same field and policy. TTL fields are never queried: exempted too.
  firestore_ttl_fields = {
    transcriptions_ttl = { collection = "transcriptions", field = "expire_at" }
    pages_ttl          = { collection = "pages", field = "expire_at" }
    # Written: a done deletion's tombstone (8 days on), a settled batch and its lines (30 days).
    deletions_ttl   = { collection = "deletions", field = "expire_at" }
    batches_ttl     = { collection = "batches", field = "expire_at" }
    batch_lines_ttl = { collection = "batch_lines", field = "expire_at" }
  }

  firestore_index_exemptions = {
    transcriptions_lease    = { collection = "transcriptions", field = "lease" }
    transcriptions_issues   = { collection = "transcriptions", field = "issues" }
    transcriptions_plan     = { collection = "transcriptions", field = "plan" }
    transcriptions_speakers = { collection = "transcriptions", field = "speakers" }
    # The growing page (up to hundreds of KB of segment maps), rewritten on every chunk.
    transcriptions_live_page = { collection = "transcriptions", field = "live_page" }
    # The store's cursor (per-voice statistics, buffered sequence numbers), rewritten on every
    # chunk and read only by the store, by document id.
    transcriptions_store = { collection = "transcriptions", field = "store" }
    # "pages" and "pending" are subcollections: a field override applies to the collection group
    # of that id.
    pages_segments = { collection = "pages", field = "segments" }
    # Batch mode (decision 0032): a line's request (the prompt and the media part), read only by
    # the submitter and the results, by the batch's id or the line's key.
    batch_lines_request = { collection = "batch_lines", field = "request" }
    batch_lines_prompt  = { collection = "batch_lines", field = "prompt" }
    batch_lines_plan    = { collection = "batch_lines", field = "plan" }
    # A chunk that arrived early, buffered as its JSON text (up to 900 KB); read by document id.
    pending_chunk = { collection = "pending", field = "chunk" }
  }
}

resource "google_firestore_field" "index_exemption" {
  for_each = merge(local.firestore_ttl_fields, local.firestore_index_exemptions)

  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.value.collection
  field      = each.value.field

  dynamic "ttl_config" {
    for_each = contains(keys(local.firestore_ttl_fields), each.key) ? [each.key] : []
    content {}
  }

  index_config {}
}

# Security rules from the repository's firestore.rules (owners read their transcriptions and pages;
# no client writes). A new ruleset is created for every change of the file and then released.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_firestore_database.main]
}

resource "google_firebaserules_release" "firestore" {
  project = var.project_id
  # The default database's release is "cloud.firestore"; a named database has its own release.
  name         = var.firestore_database == "(default)" ? "cloud.firestore" : "cloud.firestore/${var.firestore_database}"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}

# The viewer's "My transcriptions": where owner == uid, order by created_at descending.
resource "google_firestore_index" "transcriptions_by_owner" {
  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = "transcriptions"
  query_scope = "COLLECTION"

  fields {
    field_path = "owner"
    order      = "ASCENDING"
  }

  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}
