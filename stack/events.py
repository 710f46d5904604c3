"""CloudEvents as Google Cloud delivers them, built from real objects (for the bridge and tests)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from functions.watch.redrive import object_data

FINALIZED = "google.cloud.storage.object.v1.finalized"


def object_resource(blob: Any) -> dict[str, Any]:
    """The Cloud Storage object resource of a loaded blob, as the event's data carries it."""
    return {
        **object_data(blob),
        "kind": "storage#object",
        "id": f"{blob.bucket.name}/{blob.name}/{blob.generation}",
        "md5Hash": blob.md5_hash,
        "crc32c": blob.crc32c,
        "timeCreated": _iso(blob.time_created or dt.datetime.now(dt.UTC)),
        "updated": _iso(blob.updated or dt.datetime.now(dt.UTC)),
        "storageClass": blob.storage_class or "STANDARD",
    }


def storage_event(
    data: dict[str, Any], event_id: str | None = None, time: dt.datetime | None = None
) -> tuple[dict[str, str], dict[str, Any]]:
    """(headers, body) of a binary-mode CloudEvent for a finalized object, as Eventarc sends it."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": event_id or uuid.uuid4().hex,
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{data['bucket']}",
        "ce-type": FINALIZED,
        "ce-subject": header_value(f"objects/{data['name']}"),
        "ce-time": _iso(time or dt.datetime.now(dt.UTC)),
        "content-type": "application/json",
    }
    return headers, data


def header_value(value: str) -> str:
    """A CloudEvents attribute as an HTTP header value: percent-encoded UTF-8 for a space, `"`,
    `%` and anything outside printable ASCII (CloudEvents HTTP binding, 3.1.3.2), so an object
    name with non-ASCII letters or a newline makes a valid header."""
    return "".join(
        c if "!" <= c <= "~" and c not in '"%' else "".join(f"%{b:02X}" for b in c.encode())
        for c in value
    )


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
