# Inputs. Every variable is typed, described and validated; only project_id has no default.

variable "project_id" {
  type        = string
  description = "Google Cloud project id that hosts everything (never hard-coded in the resources)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens."
  }
}

variable "region" {
  type        = string
  description = "Region of the functions, the buckets (the storage trigger needs the bucket in the function's region) and the Artifact Registry repository."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a single Google Cloud region such as us-central1 or europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (topics, functions, service accounts, bucket suffixes)."
  default     = "tabscribe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name_prefix))
    error_message = "name_prefix must be 2-15 lowercase letters, digits or hyphens, starting with a letter (service account ids are capped at 30 characters)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them."
  default     = { app = "tabscribe" }

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys and values must be lowercase letters, digits, underscores or hyphens (keys start with a letter)."
  }
}

# --- Gemini --------------------------------------------------------------------------------------

variable "gemini_mode" {
  type        = string
  description = "vertex: Gemini on Vertex AI with the function's service account (media passed as gs:// URI). developer: Gemini Developer API with an API key from Secret Manager (media uploaded to the Files API)."
  default     = "vertex"

  validation {
    condition     = contains(["vertex", "developer"], var.gemini_mode)
    error_message = "gemini_mode must be \"vertex\" or \"developer\"."
  }
}

variable "gemini_model" {
  type        = string
  description = "Gemini model id (TABSCRIBE_MODEL); object metadata may still override it per upload within the allowed values."
  default     = "gemini-3.8-flash"

  validation {
    condition     = can(regex("^gemini-[a-z0-9.-]+$", var.gemini_model))
    error_message = "gemini_model must be a Gemini model id such as gemini-3.8-flash or gemini-3-flash-preview."
  }
}

variable "allowed_users" {
  type        = list(string)
  description = "Who may upload (TABSCRIBE_ALLOWED_USERS): email addresses and domains of verified accounts; empty: anyone who can sign in (decision 0019)."
  default     = []
}

variable "cap_user_media_h" {
  type        = number
  description = "Media hours a user may upload per UTC day (TABSCRIBE_CAP_USER_MEDIA_H); 0: no cap."
  default     = 2
  validation {
    condition     = var.cap_user_media_h >= 0
    error_message = "cap_user_media_h must be 0 (no cap) or more."
  }
}

variable "cap_user_usd" {
  type        = number
  description = "Estimated cost in USD a user's uploads may reach per UTC day (TABSCRIBE_CAP_USER_USD); 0: no cap."
  default     = 2
  validation {
    condition     = var.cap_user_usd >= 0
    error_message = "cap_user_usd must be 0 (no cap) or more."
  }
}

variable "cap_project_usd" {
  type        = number
  description = "Estimated cost in USD all uploads together may reach per UTC day (TABSCRIBE_CAP_PROJECT_USD); 0: no cap."
  default     = 25
  validation {
    condition     = var.cap_project_usd >= 0
    error_message = "cap_project_usd must be 0 (no cap) or more."
  }
}

variable "gemini_location" {
  type        = string
  description = "Vertex AI location for Gemini calls (TABSCRIBE_LOCATION): a region, or \"global\" for models only served there."
  default     = "us-central1"

  validation {
    condition     = var.gemini_location == "global" || can(regex("^[a-z]+-[a-z]+[0-9]$", var.gemini_location))
    error_message = "gemini_location must be a region such as us-central1, or global."
  }
}

variable "gemini_max_concurrent_requests" {
  type        = number
  description = "How many Gemini requests may run at once (your quota / budget). Each transcribe instance runs exactly one, so this is the transcribe function's max_instance_count."
  default     = 5

  validation {
    condition     = var.gemini_max_concurrent_requests >= 1 && var.gemini_max_concurrent_requests <= 100 && floor(var.gemini_max_concurrent_requests) == var.gemini_max_concurrent_requests
    error_message = "gemini_max_concurrent_requests must be a whole number from 1 to 100."
  }
}

variable "gemini_max_concurrent_clips" {
  type        = number
  description = "How many clips of long uploads may call Gemini at once (the clip function's max_instance_count; one request per instance). Counts against the same quota as gemini_max_concurrent_requests."
  default     = 20

  validation {
    condition     = var.gemini_max_concurrent_clips >= 1 && var.gemini_max_concurrent_clips <= 200 && floor(var.gemini_max_concurrent_clips) == var.gemini_max_concurrent_clips
    error_message = "gemini_max_concurrent_clips must be a whole number from 1 to 200."
  }
}

# --- Functions -----------------------------------------------------------------------------------

variable "transcribe_timeout_seconds" {
  type        = number
  description = "Timeout of the transcribe function. Event-driven 2nd-gen functions allow at most 540 s; the app's time budget (TABSCRIBE_TIME_BUDGET_S) is set 60 s below it."
  default     = 540

  validation {
    condition     = var.transcribe_timeout_seconds >= 180 && var.transcribe_timeout_seconds <= 540
    error_message = "transcribe_timeout_seconds must be between 180 and 540 (the event-driven maximum)."
  }
}

variable "transcribe_memory" {
  type        = string
  description = "Memory of the transcribe function. It streams (ranged reads, streamed Gemini output), so it never holds the media in memory."
  default     = "1Gi"

  validation {
    condition     = contains(["512Mi", "1Gi", "2Gi", "4Gi"], var.transcribe_memory)
    error_message = "transcribe_memory must be one of 512Mi, 1Gi, 2Gi, 4Gi."
  }
}

variable "store_timeout_seconds" {
  type        = number
  description = "Timeout of the store function; also the push subscription's ack deadline (which is the push HTTP timeout, 10-600 s)."
  default     = 120

  validation {
    condition     = var.store_timeout_seconds >= 30 && var.store_timeout_seconds <= 600
    error_message = "store_timeout_seconds must be between 30 and 600 (the push ack-deadline range)."
  }
}

variable "store_memory" {
  type        = string
  description = "Memory of the store function (parses one message of at most a few hundred KB and writes Firestore)."
  default     = "512Mi"

  validation {
    condition     = contains(["256Mi", "512Mi", "1Gi"], var.store_memory)
    error_message = "store_memory must be one of 256Mi, 512Mi, 1Gi."
  }
}

variable "upload_max_instances" {
  type        = number
  description = "Upper bound on instances of the upload function (it answers in milliseconds)."
  default     = 5

  validation {
    condition     = var.upload_max_instances >= 1 && var.upload_max_instances <= 100 && floor(var.upload_max_instances) == var.upload_max_instances
    error_message = "upload_max_instances must be a whole number from 1 to 100."
  }
}

variable "upload_extra_origins" {
  type        = list(string)
  description = "Browser origins allowed to upload besides the viewer's own site (https://<site>.web.app and .firebaseapp.com), e.g. a custom domain."
  default     = []

  validation {
    condition     = alltrue([for origin in var.upload_extra_origins : can(regex("^https://[^/]+$", origin))])
    error_message = "upload_extra_origins must be https origins without a path."
  }
}

variable "store_max_instances" {
  type        = number
  description = "Upper bound on store instances; push deliveries above it are throttled and retried by Pub/Sub."
  default     = 10

  validation {
    condition     = var.store_max_instances >= 1 && var.store_max_instances <= 100 && floor(var.store_max_instances) == var.store_max_instances
    error_message = "store_max_instances must be a whole number from 1 to 100."
  }
}

variable "log_level" {
  type        = string
  description = "Log level of both functions (TABSCRIBE_LOG_LEVEL)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

# --- Storage -------------------------------------------------------------------------------------

variable "input_prefix" {
  type        = string
  description = "Object prefix the transcriber accepts (TABSCRIBE_INPUT_PREFIX); uploads go to <prefix><owner>/<file>."
  default     = "uploads/"

  validation {
    condition     = can(regex("^[^/].*/$", var.input_prefix))
    error_message = "input_prefix must not start with / and must end with /."
  }
}

variable "output_prefix" {
  type        = string
  description = "Object prefix of claim-check objects and exports in the results bucket (TABSCRIBE_OUTPUT_PREFIX)."
  default     = "results/"

  validation {
    condition     = can(regex("^[^/].*/$", var.output_prefix))
    error_message = "output_prefix must not start with / and must end with /."
  }
}

variable "results_retention_days" {
  type        = number
  description = "Days after which claim-check objects and exports under output_prefix are deleted from the results bucket."
  default     = 30

  validation {
    condition     = var.results_retention_days >= 1 && var.results_retention_days <= 3650
    error_message = "results_retention_days must be between 1 and 3650."
  }
}

variable "upload_retention_days" {
  type        = number
  description = "Days after which uploaded media is deleted (0 keeps uploads until someone deletes them)."
  default     = 0

  validation {
    condition     = var.upload_retention_days >= 0 && var.upload_retention_days <= 3650
    error_message = "upload_retention_days must be between 0 and 3650."
  }
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days an overwritten or deleted object version is kept (object versioning is on for every bucket)."
  default     = 7

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && var.noncurrent_version_retention_days <= 365
    error_message = "noncurrent_version_retention_days must be between 1 and 365."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Days Cloud Storage usage/access logs are kept in the log bucket."
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1 && var.access_log_retention_days <= 3650
    error_message = "access_log_retention_days must be between 1 and 3650."
  }
}

variable "force_destroy_buckets" {
  type        = bool
  description = "Let terraform destroy delete non-empty buckets. Keep false outside throwaway projects."
  default     = false
}

# --- Pub/Sub -------------------------------------------------------------------------------------

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries of a result message to the store function before it goes to the dead-letter topic (Pub/Sub allows 5-100)."
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100."
  }
}

variable "pubsub_kms_key_name" {
  type        = string
  description = "Optional Cloud KMS key (projects/.../locations/.../keyRings/.../cryptoKeys/...) to encrypt the topics with (CMEK). null: Google-managed encryption."
  default     = null

  validation {
    condition     = var.pubsub_kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.pubsub_kms_key_name))
    error_message = "pubsub_kms_key_name must be null or a full Cloud KMS crypto key name."
  }
}

# --- Watchdog ------------------------------------------------------------------------------------

variable "stall_seconds" {
  type        = number
  description = "The sweep ends a processing transcription whose lease has expired and that made no progress for this long (TABSCRIBE_STALL_S): re-driven once, then failed. Above the lease (120 s) and the transcribe timeout."
  default     = 900

  validation {
    condition     = var.stall_seconds >= 600 && var.stall_seconds <= 86400
    error_message = "stall_seconds must be between 600 and 86400."
  }
}

variable "sweep_schedule" {
  type        = string
  description = "Cron schedule (UTC) of the watchdog's sweep; each tick is one cheap query of processing transcriptions."
  default     = "*/5 * * * *"

  validation {
    condition     = length(split(" ", var.sweep_schedule)) == 5
    error_message = "sweep_schedule must be a five-field cron expression such as */5 * * * *."
  }
}

# --- Firestore -----------------------------------------------------------------------------------

variable "firestore_database" {
  type        = string
  description = "Firestore database id (TABSCRIBE_FIRESTORE_DATABASE). \"(default)\" gets the free tier; use a named database if the project already has a default one that Terraform should not own."
  default     = "(default)"

  validation {
    condition     = var.firestore_database == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.firestore_database))
    error_message = "firestore_database must be \"(default)\" or 4-63 lowercase letters, digits or hyphens."
  }
}

variable "firestore_location" {
  type        = string
  description = "Firestore location (a region such as us-central1 or a multi-region such as nam5 / eur3). null: the region variable."
  default     = null

  validation {
    condition     = var.firestore_location == null || can(regex("^([a-z]+-[a-z]+[0-9]|nam[0-9]+|eur[0-9]+)$", var.firestore_location))
    error_message = "firestore_location must be null, a region, or a Firestore multi-region such as nam5 or eur3."
  }
}

variable "firestore_point_in_time_recovery" {
  type        = bool
  description = "Keep 7 days of point-in-time recovery for Firestore (billed as extra storage)."
  default     = true
}

variable "deletion_protection" {
  type        = bool
  description = "Turn on Firestore delete protection (a destroy or a console click cannot drop the database)."
  default     = true
}

variable "viewer_site_id" {
  type        = string
  description = "Firebase Hosting site id of the web viewer (globally unique; the site is <id>.web.app). Default: <project_id>-viewer."
  default     = null

  validation {
    condition     = var.viewer_site_id == null || can(regex("^[a-z0-9][a-z0-9-]{4,28}[a-z0-9]$", var.viewer_site_id))
    error_message = "viewer_site_id must be 6-30 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
  }
}

# --- Monitoring (monitoring.tf) ------------------------------------------------------------------

variable "alert_notification_channels" {
  type        = list(string)
  description = "Notification channels of every alert policy (projects/<project>/notificationChannels/<id>; create one with gcloud or the console). Empty: the alerts open incidents without notifying anyone."
  default     = []

  validation {
    condition     = alltrue([for channel in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "alert_notification_channels must be notification channel names: projects/<project>/notificationChannels/<id>."
  }
}

variable "alert_failed_share" {
  type        = number
  description = "Alert when more than this share (0-1) of the transcriptions that ended in the last hour failed."
  default     = 0.2

  validation {
    condition     = var.alert_failed_share > 0 && var.alert_failed_share < 1
    error_message = "alert_failed_share must be between 0 and 1 (exclusive)."
  }
}

variable "alert_daily_cost_usd" {
  type        = number
  description = "Alert when the estimated Gemini cost of the runs that ended in the last 24 hours exceeds this many US dollars."
  default     = 50

  validation {
    condition     = var.alert_daily_cost_usd > 0
    error_message = "alert_daily_cost_usd must be positive."
  }
}

variable "batch_prefixes" {
  type        = list(string)
  description = "Folders of an owner's uploads (e.g. [\"archive/\"]: uploads/<owner>/archive/...) whose files go to Gemini's batch service at half price, as `priority=batch` metadata asks (TABSCRIBE_BATCH_PREFIXES, decision 0032)."
  default     = []

  validation {
    condition     = alltrue([for p in var.batch_prefixes : endswith(p, "/") && !startswith(p, "/")])
    error_message = "batch_prefixes must be folders such as archive/ (ending in /, not starting with /)."
  }
}

variable "batch_max" {
  type        = number
  description = "A batch is submitted once it holds this many requests (TABSCRIBE_BATCH_MAX, decision 0031)."
  default     = 100

  validation {
    condition     = var.batch_max >= 1 && var.batch_max <= 10000
    error_message = "batch_max must be between 1 and 10000."
  }
}

variable "batch_wait_seconds" {
  type        = number
  description = "... or once it has waited this long since its first request (TABSCRIBE_BATCH_WAIT_S); sealed at the next tick of sweep_schedule after that."
  default     = 900

  validation {
    condition     = var.batch_wait_seconds >= 0 && var.batch_wait_seconds <= 86400
    error_message = "batch_wait_seconds must be between 0 and 86400."
  }
}
