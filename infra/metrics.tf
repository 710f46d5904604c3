# Log-based counters of what the second line of defence refused (docs/decisions/0021): a clips-topic
# task that does not match its transcription's document, a re-drive the sweep did not record
# (`refused`: the kind), and a dead letter that is not provably its run's (`poison`). Each is a
# structured log field the functions write (functions/core/logs.py); alerting on them is left to
# the operator.

resource "google_logging_metric" "refused" {
  project     = var.project_id
  name        = "${var.name_prefix}-refused"
  description = "Clips-topic tasks and re-drives refused before any claim or model call, by kind."
  filter      = "resource.type=\"cloud_run_revision\" AND jsonPayload.refused:*"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "kind"
      value_type = "STRING"
    }
  }
  label_extractors = { kind = "EXTRACT(jsonPayload.refused)" }

  depends_on = [google_project_service.this]
}

resource "google_logging_metric" "poison" {
  project     = var.project_id
  name        = "${var.name_prefix}-poison-dead-letters"
  description = "Dead letters that are not provably their run's: logged and acknowledged, no transcription changed."
  filter      = "resource.type=\"cloud_run_revision\" AND jsonPayload.poison=\"dead_letter\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }

  depends_on = [google_project_service.this]
}
