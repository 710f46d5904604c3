output "name" {
  description = "Name of the function (and of its Cloud Run service)."
  value       = google_cloudfunctions2_function.this.name
}

output "uri" {
  description = "URI of its Cloud Run service (a push endpoint and its OIDC audience)."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "url" {
  description = "The function's URL."
  value       = google_cloudfunctions2_function.this.url
}
