variable "project_id" {
  type        = string
  description = "Project of the subscription."
}

variable "name" {
  type        = string
  description = "Name of the subscription."
}

variable "topic" {
  type        = string
  description = "Id of the topic it delivers from."
}

variable "endpoint" {
  type        = string
  description = "The function's URI: where it pushes, and the audience of its OIDC token."
}

variable "push_account" {
  type        = string
  description = "Email of the identity it pushes as (the function's invoker)."
}

variable "ack_deadline_seconds" {
  type        = number
  description = "The push timeout of one delivery: the function's timeout (10-600 s)."
}

variable "message_retention_duration" {
  type        = string
  description = "How long an unacknowledged message is kept, e.g. 604800s."
}

variable "dead_letter_topic" {
  type        = string
  description = "Id of the topic a message goes to after max_delivery_attempts."
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries before a message is dead-lettered (5-100)."
}

variable "pubsub_agent" {
  type        = string
  description = "Member of the Pub/Sub service agent, which acknowledges dead-lettered messages."
}
