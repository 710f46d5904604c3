"""What an upload may be, for the transcriber that reads it and the function that lets it in."""

from __future__ import annotations

from functions.core.catalog import catalog

# The smaller of the two modes' object limits (the catalog's `object_bytes`: Vertex reads gs://
# objects up to 2 GiB - 500 KiB, the Files API takes 2 GB), so an upload fits either mode.
MAX_MEDIA_BYTES = min(catalog().object_bytes.values())

# Uploader context accepted from object metadata, and the cap on each value (characters).
CONTEXT_LIMITS: dict[str, int] = {
    "title": 200,
    "description": 2000,
    "speakers": 1000,
    "glossary": 2000,
    "language": 40,
}
# Enrichments an uploader may ask for per upload, `true` or `false` (unset: the settings decide).
ENRICHMENT_FLAGS = ("events",)
FLAG_VALUES = ("true", "false")
# How an upload's requests go to the model: `batch` waits for Gemini's batch service at half the
# price (decision 0032); unset or `standard`: streamed at once.
PRIORITIES = ("standard", "batch")
