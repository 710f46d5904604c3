# Operations (docs/deploy.md, "Monitoring"): log-based metrics from the functions' structured logs,
# alert policies that notify var.alert_notification_channels, and one dashboard.
#
# A run's terminal log line carries the fields of functions.core.logs.outcome: terminal_status,
# ended_by (store, or the watchdog's sweep or dead-letter), model, prompt_tokens, output_tokens
# (thinking included) and cost_usd (the store's estimate from the model catalog's prices).

locals {
  # The functions' log entries that end a run.
  ended_filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name:\"${var.name_prefix}-\" AND jsonPayload.terminal_status:*"

  # Distributions of what each run used: the metric -> its field, unit and first bucket.
  usage_metrics = {
    prompt_tokens = { field = "prompt_tokens", unit = "1", scale = 1000 }
    output_tokens = { field = "output_tokens", unit = "1", scale = 100 }
    cost_usd      = { field = "cost_usd", unit = "USD", scale = 0.001 }
  }

  # Metric names: the prefix with underscores, so that PromQL names them the same (PromQL replaces
  # every character but letters, digits, `_` and the first `:` with `_`).
  metric_prefix = replace(var.name_prefix, "-", "_")
  user_metric   = "logging_googleapis_com:user_${local.metric_prefix}"
  promql = {
    ended      = "${local.user_metric}_transcriptions_ended{monitored_resource=\"cloud_run_revision\"}"
    swept      = "${local.user_metric}_transcriptions_ended{monitored_resource=\"cloud_run_revision\",ended_by=\"sweep\"}"
    watchdog   = "${local.user_metric}_transcriptions_ended{monitored_resource=\"cloud_run_revision\",ended_by!=\"store\"}"
    failed     = "${local.user_metric}_transcriptions_ended{monitored_resource=\"cloud_run_revision\",status=\"failed\"}"
    cost       = "${local.user_metric}_cost_usd_sum{monitored_resource=\"cloud_run_revision\"}"
    prompt     = "${local.user_metric}_prompt_tokens_sum{monitored_resource=\"cloud_run_revision\"}"
    output     = "${local.user_metric}_output_tokens_sum{monitored_resource=\"cloud_run_revision\"}"
    dead_aging = "pubsub_googleapis_com:subscription_oldest_unacked_message_age{monitored_resource=\"pubsub_subscription\",subscription_id=\"${google_pubsub_subscription.dead_letter.name}\"}"
  }

  # Each alert: its PromQL condition, how long it must hold, and what to do (docs/deploy.md).
  alerts = {
    dead_letters = {
      name     = "Dead letters waiting over 10 minutes"
      query    = "max(${local.promql.dead_aging}) > 600"
      duration = "0s"
      runbook  = "A message on ${google_pubsub_subscription.dead_letter.name} has waited over 10 minutes: a result chunk or clip task the functions gave up on. See docs/deploy.md, \"Dead letters\": pull it, find the cause in the store's or clip function's logs, fix, replay or acknowledge it."
    }
    failed_share = {
      name     = "Failed share of transcriptions over ${var.alert_failed_share} in an hour"
      query    = "sum(increase(${local.promql.failed}[1h])) / sum(increase(${local.promql.ended}[1h])) > ${var.alert_failed_share}"
      duration = "0s"
      runbook  = "A share above ${var.alert_failed_share} of the transcriptions that ended in the last hour failed. See docs/deploy.md, \"Monitoring\": read the reasons (jsonPayload.terminal_status=\"failed\" in the logs, or the documents' reason), then Gemini quota and errors, the dead letters and the sweep."
    }
    daily_cost = {
      name     = "Estimated Gemini cost over ${var.alert_daily_cost_usd} US dollars a day"
      query    = "sum(increase(${local.promql.cost}[1d])) > ${var.alert_daily_cost_usd}"
      duration = "0s"
      runbook  = "The estimated Gemini cost of the runs that ended in the last 24 hours is over ${var.alert_daily_cost_usd} US dollars. See docs/deploy.md, \"Costs\": who uploads what (the documents' owner and duration), then lower gemini_max_concurrent_requests or change the model."
    }
    swept = {
      name     = "A run was ended by the sweep"
      query    = "sum(increase(${local.promql.swept}[10m])) > 0"
      duration = "0s"
      runbook  = "The watchdog's sweep ended a run that stalled twice (or whose output was never stored). See docs/deploy.md, \"The sweep\": read ${var.name_prefix}-watch-sweep's log for the reason, then the transcriber's log for that transcription id."
    }
  }
}

# Transcriptions by terminal status, model and who ended them.
resource "google_logging_metric" "transcriptions_ended" {
  project = var.project_id
  name    = "${local.metric_prefix}_transcriptions_ended"
  filter  = local.ended_filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    display_name = "Transcriptions ended"
    labels {
      key         = "status"
      description = "completed, failed, blocked or rejected"
    }
    labels {
      key         = "ended_by"
      description = "store, or the watchdog's sweep or dead-letter"
    }
    labels {
      key         = "model"
      description = "the Gemini model of the run"
    }
  }

  label_extractors = {
    status   = "EXTRACT(jsonPayload.terminal_status)"
    ended_by = "EXTRACT(jsonPayload.ended_by)"
    model    = "EXTRACT(jsonPayload.model)"
  }

  depends_on = [google_project_service.this]
}

# Model tokens and estimated cost per run.
resource "google_logging_metric" "usage" {
  for_each = local.usage_metrics

  project         = var.project_id
  name            = "${local.metric_prefix}_${each.key}"
  filter          = "${local.ended_filter} AND jsonPayload.${each.value.field}:*"
  value_extractor = "EXTRACT(jsonPayload.${each.value.field})"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = each.value.unit
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 24
      growth_factor      = 2
      scale              = each.value.scale
    }
  }

  depends_on = [google_project_service.this]
}

resource "google_monitoring_alert_policy" "this" {
  for_each = local.alerts

  project               = var.project_id
  display_name          = "${var.name_prefix}: ${each.value.name}"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = each.value.name
    condition_prometheus_query_language {
      query    = each.value.query
      duration = each.value.duration
    }
  }

  documentation {
    content   = each.value.runbook
    mime_type = "text/markdown"
  }

  depends_on = [google_logging_metric.transcriptions_ended, google_logging_metric.usage]
}

# One dashboard: a chart per query, two to a row.
resource "google_monitoring_dashboard" "operations" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "${var.name_prefix}: transcriptions"
    mosaicLayout = {
      columns = 48
      tiles = [
        for index, chart in [
          ["Transcriptions ended, by status (per hour)", "sum by (status) (increase(${local.promql.ended}[1h]))"],
          ["Runs ended by the watchdog (per hour)", "sum by (ended_by) (increase(${local.promql.watchdog}[1h]))"],
          ["Prompt tokens (per hour)", "sum(increase(${local.promql.prompt}[1h]))"],
          ["Output and thinking tokens (per hour)", "sum(increase(${local.promql.output}[1h]))"],
          ["Estimated Gemini cost, US$ (per day)", "sum(increase(${local.promql.cost}[1d]))"],
          ["Oldest dead letter waiting (s)", "max(${local.promql.dead_aging})"],
          ] : {
          xPos   = (index % 2) * 24
          yPos   = floor(index / 2) * 16
          width  = 24
          height = 16
          widget = {
            title = chart[0]
            xyChart = {
              dataSets = [{ plotType = "LINE", timeSeriesQuery = { prometheusQuery = chart[1] } }]
            }
          }
        }
      ]
    }
  })

  depends_on = [google_logging_metric.transcriptions_ended, google_logging_metric.usage]
}
