"""A results chunk the store gave up on (the dead-letter topic) ends its run `failed`; a clip's
task or chunk ends only its clip (`clips`: a gap, and the transcription completes).

Without it, the chunks after a lost one wait in `pending` forever and the document stays
`processing`. The dead-lettered message is the original one: the chunk's attributes (or, failing
those, its body) name the transcription and the run; the run is failed only while it is still the
document's run and the document is not terminal (`ending.fail_run`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.core import logs
from functions.watch import clips, ending

log = logs.get_logger("watch")
DELIVERIES = "CloudPubSubDeadLetterSourceDeliveryCount"  # set by Pub/Sub on a dead letter
TRANSCRIPTION_ID = re.compile(r"^[0-9a-f]{32}$")


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    data: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    message_id: str | None = Field(default=None, alias="messageId")


class Envelope(BaseModel):
    """The data of a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent."""

    model_config = ConfigDict(extra="ignore")

    message: Message


@dataclass(frozen=True)
class LostChunk:
    transcription_id: str
    run: ending.RunRef
    seq: int | None
    deliveries: str | None
    clip: int | None = None  # a clip's chunk, or (without seq) a clip task
    task: str | None = None  # a clips-topic message's kind: `continue`, `voices` or none

    @property
    def reason(self) -> str:
        tries = f" after {self.deliveries} deliveries" if self.deliveries else ""
        if self.task == "continue":
            return (
                f"the continuation of its cut-off output could not be run{tries} "
                "(dead-lettered); the transcript stops where the output was cut off"
            )
        if self.clip is not None and self.seq is None:
            return f"its task could not be transcribed{tries} (dead-lettered)"
        if self.clip is not None:
            return f"its results chunk {self.seq} could not be stored{tries} (dead-lettered)"
        run = f"run {self.run.generation}/{self.run.attempt}"
        chunk = f"results chunk {self.seq}" if self.seq is not None else "a results chunk"
        return (
            f"{chunk} of {run} could not be stored{tries} "
            "(dead-lettered); the transcript is incomplete"
        )


def handle(data: Any) -> str:
    """Fail the run of a dead-lettered chunk; what happened, in a word (for logs and tests).
    A message that names no run is logged and acknowledged: no retry would change it."""
    try:
        message = Envelope.model_validate(data).message
    except ValidationError as exc:
        log.warning(f"dead letter without a Pub/Sub envelope; ignored: {exc.errors()[0]['msg']}")
        return "unreadable"
    lost = lost_chunk(message)
    if lost is None:
        log.warning(
            "dead letter names no transcription run; ignored",
            extra={"message_id": message.message_id, "attributes": message.attributes},
        )
        return "unknown"
    if lost.clip is not None:
        return clips.end_clip(lost.transcription_id, lost.run, lost.clip, lost.reason)
    return ending.fail_run(
        lost.transcription_id, lost.run, lost.reason, by="dead-letter", lost_seq=lost.seq
    )


def lost_chunk(message: Message) -> LostChunk | None:
    """The run and seq of a results chunk, from its attributes or else its body."""
    fields = {**_body(message.data), **message.attributes}
    tid, generation = fields.get("transcription_id"), fields.get("generation")
    try:
        attempt = int(fields.get("attempt") or 0)
        seq = int(fields["seq"]) if fields.get("seq") is not None else None
        clip = int(fields["clip"]) if fields.get("clip") is not None else None
    except (TypeError, ValueError):
        return None
    if not isinstance(tid, str) or not TRANSCRIPTION_ID.match(tid) or attempt < 1:
        return None
    if not str(generation or "").isdigit():
        return None
    run = ending.RunRef(str(generation), attempt)
    deliveries, task = message.attributes.get(DELIVERIES), message.attributes.get("task")
    return LostChunk(tid, run, seq, deliveries, clip, task)


def _body(data: str) -> dict[str, Any]:
    """The chunk's JSON body as a dict, or nothing (a poison body is not an error here)."""
    try:
        body = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return {}
    if not isinstance(body, dict):
        return {}
    return {k: v for k, v in body.items() if not isinstance(v, dict | list)}
