"""One invocation's run on one claimed object: its state, its outcomes, and how it ends."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from google.api_core import exceptions as api_errors
from pydantic import BaseModel, ConfigDict, Field

from functions.core import clients, logs
from functions.core.messages import MediaFile
from functions.core.settings import Settings
from functions.format.parser import ParserState
from functions.transcribe import claims
from functions.transcribe.chunks import Chunk
from functions.transcribe.claims import Claim
from functions.transcribe.plan import Plan
from functions.transcribe.publisher import RunPublisher

log = logs.get_logger("transcribe")


class Outcome(StrEnum):
    """What an invocation did (for logs and tests); the last four end a run."""

    MALFORMED = "malformed"
    REFUSED = "refused"  # a clips-topic task that does not match its document (`tasks`)
    IGNORED = "ignored"
    SKIPPED = "skipped"
    SUPERSEDED = "superseded"
    FANNED_OUT = "fanned out"
    QUEUED = "queued"  # added to a batch (decision 0032)
    CONTINUED = "continued"
    COMPLETED = "completed"
    FAILED = "failed"
    BLOCKED = "blocked"
    REJECTED = "rejected"


class StorageObject(BaseModel):
    """The data of a `google.cloud.storage.object.v1.finalized` event (the fields we use)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    bucket: str = Field(min_length=1)
    name: str = Field(min_length=1)
    generation: str = Field(pattern=r"^[0-9]{1,20}$", coerce_numbers_to_str=True)
    content_type: str | None = Field(default=None, alias="contentType")
    size: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


@dataclass
class Run:
    """One invocation's work on one claimed object."""

    settings: Settings
    obj: StorageObject
    claim: Claim
    started: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)
    retries: int = 0  # model calls retried in this invocation
    heartbeat: claims.Heartbeat | None = None
    media_file: MediaFile | None = None  # Developer API: the Files API copy requests send

    @cached_property
    def db(self) -> Any:
        """The Firestore client of the run's lease."""
        return clients.firestore_client(self.settings.firestore_database)

    @property
    def deadline(self) -> float:
        return self.started + self.settings.time_budget_s

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


def blob(obj: StorageObject) -> Any:
    """The object's generation (reads fail with NotFound once it is overwritten)."""
    bucket = clients.storage_client().bucket(obj.bucket)
    return bucket.blob(obj.name, generation=int(obj.generation))


def finish(
    run: Run,
    *,
    outcome: str,
    reason: str,
    plan: Plan | None = None,
    duration_ms: int | None = None,
) -> str:
    """A run that ends without model output: publish its final (and only) chunk."""
    run.timings["total_s"] = run.elapsed()
    RunPublisher(run.settings, run.claim, run.obj.bucket).publish(
        Chunk(ParserState(), "", 0),
        outcome=outcome,
        reason=reason,
        plan=plan.model_dump() if plan else None,
        duration_ms=duration_ms,
        timings=run.timings,
    )
    mark_finished(run)
    log.warning(f"{outcome}: {reason}", extra={"transcription_id": run.claim.transcription_id})
    return outcome


def give_up(run: Run) -> str:
    tries = run.settings.max_attempts
    last = run.claim.last_error or "unknown"
    return finish(
        run, outcome=Outcome.FAILED, reason=f"gave up after {tries} attempts; the last: {last}"
    )


def mark_finished(run: Run) -> None:
    """The final chunk is out: a duplicate of this event must not call the model again. Best
    effort: raising now would make the platform retry this event, whose lease lets it call the
    model again; without the mark, the lease still keeps out other events until it expires."""
    try:
        claims.mark_finished(run.db, run.claim)
    except api_errors.GoogleAPICallError as exc:
        log.warning(
            f"could not mark the run finished: {exc}",
            extra={"transcription_id": run.claim.transcription_id},
        )


def object_gone(run: Run) -> str:
    """The event's generation cannot be read: a newer generation's event takes over; with none,
    the object was deleted and the transcription ends here."""
    current = clients.storage_client().bucket(run.obj.bucket).get_blob(run.obj.name)
    if current is not None and int(current.generation) > int(run.obj.generation):
        log.info(
            "object overwritten; the newer generation's event takes over",
            extra={"transcription_id": run.claim.transcription_id},
        )
        return Outcome.SUPERSEDED
    return finish(
        run, outcome=Outcome.FAILED, reason="the object was deleted before it could be read"
    )
