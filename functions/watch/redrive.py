"""The re-drive message: a stalled upload handed back to the transcriber once.

The sweep records `redriven` {generation} on the document, then publishes the storage object's
data, as a finalize event carries it, on the re-drive topic; the transcriber's second entry point
(`main.transcribe_redrive`) decodes it here, admits only a re-drive the sweep recorded (`admit`:
the object's transcription `processing`, its run and source of that generation, re-driven for
it), takes the object's data from Cloud Storage rather than from the message, and calls the same
`handle_upload` as for a finalize event, so the claim decides as for any redelivery (an expired
lease is taken over with the next attempt).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.core import clients, logs
from functions.core.documents import TRANSCRIPTIONS, Status, transcription_id
from functions.core.settings import Settings

log = logs.get_logger("watch")


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    data: str = Field(min_length=1)
    attributes: dict[str, str] = Field(default_factory=dict)
    message_id: str = Field(alias="messageId", min_length=1)
    publish_time: dt.datetime | None = Field(default=None, alias="publishTime")


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: _Message


@dataclass(frozen=True)
class Redrive:
    event_id: str  # the Pub/Sub message id: a redelivery of the message is the same event
    time: dt.datetime | None
    data: dict[str, Any]  # the storage object, as a finalize event's data


def decode(data: Any) -> Redrive | None:
    """The re-drive, or None (logged in one line: no retry would make it readable)."""
    try:
        message = _Envelope.model_validate(data).message
        body = json.loads(base64.b64decode(message.data, validate=True))
    except (ValidationError, binascii.Error, ValueError) as exc:
        log.error(f"not a re-drive message; ignored: {str(exc).splitlines()[0]}")
        return None
    if not isinstance(body, dict):
        log.error("a re-drive message carries a storage object (a JSON object); ignored")
        return None
    return Redrive(f"redrive-{message.message_id}", message.publish_time, body)


def admit(redrive: Redrive, settings: Settings) -> Redrive | None:
    """`redrive` with its object's data read from Cloud Storage, if the sweep recorded it; else
    None, logged (`refused`: `redrive`, for a log-based count)."""
    named = {key: str(redrive.data.get(key) or "") for key in ("bucket", "name", "generation")}
    why, blob = _refusal(named, settings), None
    if why is None:
        bucket = clients.storage_client().bucket(named["bucket"])
        blob = bucket.get_blob(named["name"], generation=int(named["generation"]))
        why = None if blob is not None else "the object's generation is gone"
    if blob is None:
        where = f"gs://{named['bucket']}/{named['name']}#{named['generation']}"
        log.warning(f"re-drive refused: {why}", extra={"refused": "redrive", "object": where})
        return None
    return Redrive(redrive.event_id, redrive.time, object_data(blob))


def _refusal(named: dict[str, str], settings: Settings) -> str | None:
    """Why the named object's transcription admits no re-drive of its generation, or None."""
    if not (named["bucket"] and named["name"] and named["generation"].isdigit()):
        return "it names no object generation"
    db = clients.firestore_client(settings.firestore_database)
    tid = transcription_id(named["bucket"], named["name"])
    fields = ["status", "run", "source", "redriven"]
    doc = db.collection(TRANSCRIPTIONS).document(tid).get(field_paths=fields).to_dict() or {}
    generation = named["generation"]
    if doc.get("status") not in (Status.PROCESSING.value, Status.QUEUED.value):  # queued: 0032
        return f"the transcription is {doc.get('status') or 'missing'}, not processing"
    source = doc.get("source") or {}
    recorded = (source.get("bucket"), source.get("name"), source.get("generation"))
    if recorded != (named["bucket"], named["name"], generation):
        return "not the transcription's object generation"
    if (doc.get("run") or {}).get("generation") != generation:
        return "not the generation of the transcription's run"
    if (doc.get("redriven") or {}).get("generation") != generation:
        return "the sweep did not re-drive this generation"
    return None


def object_data(blob: Any) -> dict[str, Any]:
    """The fields of a finalize event's data that the transcriber reads."""
    return {
        "bucket": blob.bucket.name,
        "name": blob.name,
        "generation": str(blob.generation),
        "metageneration": str(blob.metageneration or 1),
        "contentType": blob.content_type,
        "size": str(blob.size),
        "metadata": blob.metadata or {},
    }


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
