"""The API versions the service serves in each mode, and the request fields a version lacks
(docs/standin.md, "API versions"). The one place that says which version offers what: the
product only pins a version (functions/transcribe/gemini.py, API_VERSIONS)."""

from __future__ import annotations

from typing import Any

from functions.core.catalog import Mode
from standin.errors import ApiError

SERVED: dict[Mode, tuple[str, ...]] = {
    "developer": ("v1", "v1beta", "v1alpha"),
    "vertex": ("v1", "v1beta1"),
}
# Part fields a version's reference lacks. Developer v1: per-part media resolution is documented
# for v1beta (ai.google.dev/gemini-api/docs/generate-content/media-resolution, read 2026-12-07).
# Vertex v1: AudioMetadata is in the v1beta1 reference only (googleapis.dev
# Google.Apis.Aiplatform.v1beta1 ... AudioMetadata; absent from the v1 copies read 2026-12-07).
PART_FIELDS_LACKING: dict[tuple[Mode, str], frozenset[str]] = {
    ("developer", "v1"): frozenset({"mediaResolution"}),
    ("vertex", "v1"): frozenset({"audioMetadata"}),
}


def version_pattern(mode: Mode) -> str:
    """The path segment of the versions `mode` serves, for the routes."""
    return "(" + "|".join(SERVED[mode]) + ")"


def check_fields(mode: Mode, version: str, body: dict[str, Any]) -> None:
    """Refuse a part field `version` lacks the way the service refuses a field it cannot parse."""
    lacking = PART_FIELDS_LACKING.get((mode, version), frozenset())
    contents = body.get("contents") if lacking else None
    for i, content in enumerate(contents if isinstance(contents, list) else []):
        parts = content.get("parts") if isinstance(content, dict) else None
        for j, part in enumerate(parts if isinstance(parts, list) else []):
            for name in sorted(lacking & set(part if isinstance(part, dict) else ())):
                raise unknown_field(name, f"contents[{i}].parts[{j}]")


def unknown_field(name: str, at: str) -> ApiError:
    """The service's 400 for a JSON field its proto does not have (wording from public reports,
    docs/standin.md)."""
    message = (
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field."
    )
    violation = {"field": at, "description": message}
    bad_request = {"@type": "type.googleapis.com/google.rpc.BadRequest"}
    return ApiError(400, message, details=[{**bad_request, "fieldViolations": [violation]}])
