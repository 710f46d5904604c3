# Where the functions and push subscriptions lived before modules/function and
# modules/push_subscription (decision 0017): an existing deployment is updated in place, not
# destroyed and recreated. Keep these until every deployment has applied them.

moved {
  from = google_cloudfunctions2_function.transcribe
  to   = module.function["transcribe"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloudfunctions2_function.store
  to   = module.function["store"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloudfunctions2_function.clip
  to   = module.function["transcribe_clip"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloudfunctions2_function.transcribe_redrive
  to   = module.function["transcribe_redrive"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloudfunctions2_function.watch_dead_letter
  to   = module.function["watch_dead_letter"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloudfunctions2_function.watch_sweep
  to   = module.function["watch_sweep"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloudfunctions2_function.uploads
  to   = module.function["uploads"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloud_run_v2_service_iam_member.transcribe_invoker_trigger
  to   = module.function["transcribe"].google_cloud_run_v2_service_iam_member.invoker
}

moved {
  from = google_cloud_run_v2_service_iam_member.store_invoker_push
  to   = module.function["store"].google_cloud_run_v2_service_iam_member.invoker
}

moved {
  from = google_cloud_run_v2_service_iam_member.clip_invoker_push
  to   = module.function["transcribe_clip"].google_cloud_run_v2_service_iam_member.invoker
}

moved {
  from = google_cloud_run_v2_service_iam_member.uploads_public_invoker
  to   = module.function["uploads"].google_cloud_run_v2_service_iam_member.invoker
}

# The watchdog's invokers were one resource keyed by function name: these keys are those of the
# default name_prefix ("tabscribe"); with another prefix, edit them before the first apply.
moved {
  from = google_cloud_run_v2_service_iam_member.watch_invokers_trigger["tabscribe-transcribe-redrive"]
  to   = module.function["transcribe_redrive"].google_cloud_run_v2_service_iam_member.invoker
}

moved {
  from = google_cloud_run_v2_service_iam_member.watch_invokers_trigger["tabscribe-watch-dead-letter"]
  to   = module.function["watch_dead_letter"].google_cloud_run_v2_service_iam_member.invoker
}

moved {
  from = google_cloud_run_v2_service_iam_member.watch_invokers_trigger["tabscribe-watch-sweep"]
  to   = module.function["watch_sweep"].google_cloud_run_v2_service_iam_member.invoker
}

moved {
  from = google_pubsub_subscription.store_push
  to   = module.push["store"].google_pubsub_subscription.this
}

moved {
  from = google_pubsub_subscription_iam_member.store_push_subscriber_pubsub_agent
  to   = module.push["store"].google_pubsub_subscription_iam_member.dead_letter_ack
}

moved {
  from = google_pubsub_subscription.clip_push
  to   = module.push["clip"].google_pubsub_subscription.this
}

moved {
  from = google_pubsub_subscription_iam_member.clip_push_subscriber_pubsub_agent
  to   = module.push["clip"].google_pubsub_subscription_iam_member.dead_letter_ack
}

# The topics became one resource over local.topics (pubsub.tf).
moved {
  from = google_pubsub_topic.results
  to   = google_pubsub_topic.this["results"]
}

moved {
  from = google_pubsub_topic.events
  to   = google_pubsub_topic.this["events"]
}

moved {
  from = google_pubsub_topic.dead_letter
  to   = google_pubsub_topic.this["dead_letter"]
}

moved {
  from = google_pubsub_topic.clips
  to   = google_pubsub_topic.this["clips"]
}

moved {
  from = google_pubsub_topic.redrive
  to   = google_pubsub_topic.this["redrive"]
}

moved {
  from = google_pubsub_topic.sweep
  to   = google_pubsub_topic.this["sweep"]
}

# The TTL fields joined the index exemptions (firestore.tf): same field, same policy.
moved {
  from = google_firestore_field.transcriptions_ttl
  to   = google_firestore_field.index_exemption["transcriptions_ttl"]
}

moved {
  from = google_firestore_field.pages_ttl
  to   = google_firestore_field.index_exemption["pages_ttl"]
}
