"""The re-drive message: a stalled upload handed back to the transcriber once.

The sweep publishes the storage object's data, as a finalize event carries it, on the re-drive
topic; the transcriber's second entry point (`main.transcribe_redrive`) decodes it here and calls
the same `handle_upload` as for a finalize event, so the claim decides as for any redelivery
(an expired lease is taken over with the next attempt).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.core import logs

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


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
