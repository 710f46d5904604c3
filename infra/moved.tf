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

# The service accounts, the service agents and the grants became one resource per kind over a map
# (iam.tf).
moved {
  from = google_service_account.transcribe
  to   = google_service_account.this["transcribe"]
}

moved {
  from = google_service_account.store
  to   = google_service_account.this["store"]
}

moved {
  from = google_service_account.trigger
  to   = google_service_account.this["trigger"]
}

moved {
  from = google_service_account.push_invoker
  to   = google_service_account.this["push"]
}

moved {
  from = google_service_account.build
  to   = google_service_account.this["build"]
}

moved {
  from = google_service_account.watch
  to   = google_service_account.this["watch"]
}

moved {
  from = google_service_account.uploads
  to   = google_service_account.this["uploads"]
}

moved {
  from = google_project_service_identity.eventarc
  to   = google_project_service_identity.this["eventarc"]
}

moved {
  from = google_project_service_identity.pubsub
  to   = google_project_service_identity.this["pubsub"]
}

moved {
  from = google_project_service_identity.scheduler
  to   = google_project_service_identity.this["scheduler"]
}

moved {
  from = google_project_iam_member.transcribe_datastore_user
  to   = google_project_iam_member.grant["transcribe_datastore_user"]
}

moved {
  from = google_project_iam_member.store_datastore_user
  to   = google_project_iam_member.grant["store_datastore_user"]
}

moved {
  from = google_project_iam_member.watch_datastore_user
  to   = google_project_iam_member.grant["watch_datastore_user"]
}

moved {
  from = google_project_iam_member.trigger_event_receiver
  to   = google_project_iam_member.grant["trigger_event_receiver"]
}

moved {
  from = google_project_iam_member.build_log_writer
  to   = google_project_iam_member.grant["build_log_writer"]
}

moved {
  from = google_storage_bucket_iam_member.transcribe_uploads_reader
  to   = google_storage_bucket_iam_member.grant["transcribe_uploads_reader"]
}

moved {
  from = google_storage_bucket_iam_member.transcribe_results_writer
  to   = google_storage_bucket_iam_member.grant["transcribe_results_writer"]
}

moved {
  from = google_storage_bucket_iam_member.store_results_user
  to   = google_storage_bucket_iam_member.grant["store_results_user"]
}

moved {
  from = google_storage_bucket_iam_member.watch_uploads_viewer
  to   = google_storage_bucket_iam_member.grant["watch_uploads_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.uploads_object_creator
  to   = google_storage_bucket_iam_member.grant["uploads_object_creator"]
}

moved {
  from = google_storage_bucket_iam_member.build_source_reader
  to   = google_storage_bucket_iam_member.grant["build_source_reader"]
}

moved {
  from = google_storage_bucket_iam_member.logs_writer_analytics
  to   = google_storage_bucket_iam_member.grant["logs_writer_analytics"]
}

moved {
  from = google_pubsub_topic_iam_member.transcribe_results_publisher
  to   = google_pubsub_topic_iam_member.grant["transcribe_results_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.transcribe_clips_publisher
  to   = google_pubsub_topic_iam_member.grant["transcribe_clips_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.store_events_publisher
  to   = google_pubsub_topic_iam_member.grant["store_events_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.store_clips_publisher
  to   = google_pubsub_topic_iam_member.grant["store_clips_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.watch_events_publisher
  to   = google_pubsub_topic_iam_member.grant["watch_events_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.watch_redrive_publisher
  to   = google_pubsub_topic_iam_member.grant["watch_redrive_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.sweep_publisher_scheduler_agent
  to   = google_pubsub_topic_iam_member.grant["sweep_publisher_scheduler_agent"]
}

moved {
  from = google_pubsub_topic_iam_member.dead_letter_publisher_pubsub_agent
  to   = google_pubsub_topic_iam_member.grant["dead_letter_publisher_pubsub_agent"]
}

moved {
  from = google_service_account_iam_member.uploads_token_creator_self
  to   = google_service_account_iam_member.grant["uploads_token_creator_self"]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_token_creator
  to   = google_service_account_iam_member.grant["pubsub_agent_token_creator"]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_token_creator_trigger
  to   = google_service_account_iam_member.grant["pubsub_agent_token_creator_trigger"]
}

# The buckets became one resource over local.buckets (storage.tf): moved, never recreated.
moved {
  from = google_storage_bucket.logs
  to   = google_storage_bucket.this["logs"]
}

moved {
  from = google_storage_bucket.uploads
  to   = google_storage_bucket.this["uploads"]
}

moved {
  from = google_storage_bucket.results
  to   = google_storage_bucket.this["results"]
}

moved {
  from = google_storage_bucket.source
  to   = google_storage_bucket.this["source"]
}
