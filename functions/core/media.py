"""What an upload may be, for the transcriber that reads it and the function that lets it in."""

from __future__ import annotations

MAX_MEDIA_BYTES = 2 * 1024**3  # Files API and Vertex gs:// input limit

# Uploader context accepted from object metadata, and the cap on each value (characters).
CONTEXT_LIMITS: dict[str, int] = {
    "title": 200,
    "description": 2000,
    "speakers": 1000,
    "glossary": 2000,
    "language": 40,
}
