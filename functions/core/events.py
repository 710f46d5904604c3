"""The completion event: CloudEvents 1.0, structured JSON mode, on the events topic.

Shared by the store (a run's final chunk) and the watchdog (a run it ends `failed`); beside it
the deletion event and the enrichment's (`transcription.enriched`, decision 0026).

`docs/events.md` documents it for subscribers; `docs/schemas/completion-event.schema.json` is the
JSON Schema of `CompletionEvent` (a test keeps the two in step).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from functions.core import clients, documents
from functions.core.documents import TRANSCRIPTIONS
from functions.core.messages import ENRICHMENT_NAME, Usage
from functions.core.settings import get_settings

Status = Literal["completed", "failed", "blocked", "rejected"]


class SourceObject(BaseModel):
    model_config = ConfigDict(extra="allow")

    bucket: str
    name: str
    generation: str | None = None
    content_type: str | None = None
    size: int | None = None


class RunRef(BaseModel):
    generation: str
    attempt: int


class Counts(BaseModel):
    segments: int = Field(ge=0)
    speakers: int = Field(ge=0)
    issues: int = Field(ge=0, description="all issues; the document keeps the first 50")
    pages: int = Field(ge=0)


class SpeakerSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    voice: int
    name: str | None
    role: str | None
    segments: int = Field(ge=0)
    talk_ms: int = Field(ge=0)
    first_ms: int | None = Field(description="first segment's start; null if the voice is silent")


class CorrectionRef(BaseModel):
    """The owner's correction an `updated` event follows (docs/firestore.md, `history`)."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, description="the correction's number in the transcription's history")
    action: Literal["rename", "merge", "undo"]
    by: str = Field(description="uid of the owner who made it")


class CompletionData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="transcription id")
    status: Status
    reason: str | None = Field(description="why the run did not complete cleanly")
    complete: bool = Field(description="false when the model output was cut off")
    owner: str | None = Field(description="uploader uid from uploads/<owner>/…")
    source: SourceObject | None = Field(description="the Cloud Storage object transcribed")
    run: RunRef
    path: str = Field(description="Firestore path of the transcription document")
    model: str | None
    duration_ms: int | None
    counts: Counts
    speakers: list[SpeakerSummary]
    usage: Usage | None
    cost: dict[str, Any] | None
    exports: dict[str, str] = Field(description="vtt, srt, json: gs:// URIs (empty: none)")
    correction: CorrectionRef | None = Field(
        default=None, description="`updated` events only: the correction that made it"
    )


class _Envelope(BaseModel):
    """What every event of a transcription carries around its data: a structured-mode
    CloudEvent as published (content type application/cloudevents+json)."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str = Field(pattern=r"^//tabscribe/transcriptions/[0-9a-f]{32}$")
    type: str
    subject: str
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"

    @staticmethod
    def addressed(transcription_id: str) -> dict[str, str]:
        """The `source` and `subject` of an event about transcription `transcription_id`."""
        path = f"{TRANSCRIPTIONS}/{transcription_id}"
        return {"source": f"//tabscribe/{path}", "subject": path}


class CompletionEvent(_Envelope):
    """The structured-mode CloudEvent as published (content type application/cloudevents+json)."""

    id: str = Field(
        description="`{transcription id}-{generation}-{attempt}`: one per run; "
        "`…-c{seq}` for the `updated` event of correction `seq`"
    )
    type: Literal[
        "dev.tabscribe.transcription.completed",
        "dev.tabscribe.transcription.failed",
        "dev.tabscribe.transcription.blocked",
        "dev.tabscribe.transcription.rejected",
        "dev.tabscribe.transcription.updated",
    ]
    time: datetime = Field(
        description="when the run finished (the document's finished_at); for `updated`, when "
        "the correction was made"
    )
    data: CompletionData


class RunLike(Protocol):
    @property
    def generation(self) -> str: ...

    @property
    def attempt(self) -> int: ...


def event_id(transcription_id: str, run: RunLike) -> str:
    """The same id for every delivery of one run's completion (subscribers dedupe by it)."""
    return f"{transcription_id}-{run.generation}-{run.attempt}"


def event_type(status: documents.Status) -> str:
    return f"dev.tabscribe.transcription.{status.value}"


def build_event(
    transcription_id: str, doc: dict[str, Any], uris: dict[str, str]
) -> CompletionEvent:
    """The CloudEvent of a finished run (docs/events.md); the same for every delivery."""
    return _event(
        transcription_id,
        doc["event"]["id"],
        doc["event"]["type"],
        doc["finished_at"],
        _data(transcription_id, doc, uris),
    )


def build_update_event(
    transcription_id: str,
    doc: dict[str, Any],
    uris: dict[str, str],
    correction: CorrectionRef,
    time: datetime,
) -> CompletionEvent:
    """The `updated` CloudEvent of the owner's correction `correction` of a finished run."""
    run = RunRef.model_validate(doc["store"]["run"])
    return _event(
        transcription_id,
        f"{event_id(transcription_id, run)}-c{correction.seq}",
        "dev.tabscribe.transcription.updated",
        time,
        {**_data(transcription_id, doc, uris), "correction": correction.model_dump()},
    )


def _data(transcription_id: str, doc: dict[str, Any], uris: dict[str, str]) -> dict[str, Any]:
    return {
        "id": transcription_id,
        "status": doc.get("status"),
        "reason": doc.get("reason"),
        "complete": bool(doc.get("complete")),
        "owner": doc.get("owner"),
        "source": doc.get("source"),
        "run": doc["store"]["run"],
        "path": f"{TRANSCRIPTIONS}/{transcription_id}",
        "model": doc.get("model"),
        "duration_ms": doc.get("duration_ms"),
        "counts": doc.get("counts"),
        "speakers": doc.get("speakers") or [],
        "usage": doc.get("usage"),
        "cost": doc.get("cost"),
        "exports": uris,
    }


def _event(
    transcription_id: str, id_: str, type_: str, time: Any, data: dict[str, Any]
) -> CompletionEvent:
    return CompletionEvent.model_validate(
        {
            "id": id_,
            "type": type_,
            "time": time,
            "data": data,
            **_Envelope.addressed(transcription_id),
        }
    )


class DeletedData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="transcription id")
    owner: str = Field(description="the uid that owned it and deleted it")
    source: SourceObject = Field(description="the Cloud Storage object removed (its name)")
    path: str = Field(description="Firestore path of the document removed")


class DeletedEvent(_Envelope):
    """`transcription.deleted` (decision 0024): the owner removed a transcription and its media."""

    id: str = Field(description="`{transcription id}-deleted-{generation}`: one per deletion")
    type: Literal["dev.tabscribe.transcription.deleted"] = "dev.tabscribe.transcription.deleted"
    time: datetime = Field(description="when the deletion was recorded")
    data: DeletedData


def deleted_event(
    transcription_id: str, owner: str, source: dict[str, Any], generation: str, time: datetime
) -> DeletedEvent:
    addressed = DeletedEvent.addressed(transcription_id)
    return DeletedEvent(
        id=f"{transcription_id}-deleted-{generation}",
        time=time,
        data=DeletedData(
            id=transcription_id,
            owner=owner,
            source=SourceObject(**source),
            path=addressed["subject"],
        ),
        **addressed,
    )


class EnrichedData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="transcription id")
    run: RunRef = Field(description="the run whose transcript was enriched")
    enrichment: str = Field(pattern=ENRICHMENT_NAME, description="chapters or translation_{lang}")
    kind: Literal["translation", "chapters"]
    lang: str | None = Field(description="a translation's ISO 639 code; null for chapters")
    status: Literal["completed", "failed"]
    reason: str | None = Field(description="why it failed, or what it lacks (null: clean)")
    exports: dict[str, str] = Field(
        description="a completed translation's vtt and srt: gs:// URIs (empty: none)"
    )


class EnrichedEvent(_Envelope):
    """`transcription.enriched` (decision 0026): one enrichment of a completed run ended."""

    id: str = Field(description="`{transcription id}-{generation}-{attempt}-{enrichment}`")
    type: Literal["dev.tabscribe.transcription.enriched"] = "dev.tabscribe.transcription.enriched"
    time: datetime = Field(description="when the enrichment was recorded (its finished_at)")
    data: EnrichedData


def enriched_event(data: EnrichedData, time: datetime) -> EnrichedEvent:
    return EnrichedEvent(
        id=f"{event_id(data.id, data.run)}-{data.enrichment}",
        time=time,
        data=data,
        **EnrichedEvent.addressed(data.id),
    )


PUBLISH_TIMEOUT_S = 30.0


def publish(event: CompletionEvent | EnrichedEvent | DeletedEvent, transcription_id: str) -> None:
    """Publish `event` on the events topic (structured mode: the whole CloudEvent as the body)
    and wait until it is accepted."""
    settings = get_settings()
    publisher = clients.publisher()
    publisher.publish(
        publisher.topic_path(settings.project, settings.events_topic),
        event.model_dump_json().encode(),
        **{"content-type": "application/cloudevents+json", "transcription_id": transcription_id},
    ).result(timeout=PUBLISH_TIMEOUT_S)
