variable "project_id" {
  type        = string
  description = "Project of the function."
}

variable "region" {
  type        = string
  description = "Region of the function and of its trigger."
}

variable "name" {
  type        = string
  description = "Name of the function (and of its Cloud Run service)."
}

variable "build" {
  type = object({
    account    = string # the build service account's id
    repository = string # the Artifact Registry repository's id
    bucket     = string # the source archive
    object     = string
  })
  description = "How every function is built: the account, the image repository and the source archive."
}

variable "trigger_account" {
  type        = string
  description = "Identity of the Eventarc triggers (a function with a trigger is called as it)."
}

variable "function" {
  type = object({
    description   = string
    entry_point   = string # a function of main.py
    account       = string # the runtime service account's email
    env           = map(string)
    secrets       = optional(map(string), {}) # environment variable -> Secret Manager secret id
    timeout       = optional(number, 60)
    memory        = optional(string, "256Mi")
    max_instances = optional(number, 1)
    ingress       = optional(string, "ALLOW_INTERNAL_ONLY")
    invoker       = string # the one member allowed to call it
    trigger = optional(object({
      event_type   = string
      retry_policy = string
      pubsub_topic = optional(string) # for a Pub/Sub trigger
      bucket       = optional(string) # for a Cloud Storage trigger
    }))
  })
  description = "One entry of the root module's local.functions."
}
