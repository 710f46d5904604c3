"""The completion event: CloudEvents 1.0, structured JSON mode, on the events topic.

`docs/events.md` documents it for subscribers; `docs/schemas/completion-event.schema.json` is the
JSON Schema of `CompletionEvent` (a test keeps the two in step).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.core.messages import Usage

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


class CompletionEvent(BaseModel):
    """The structured-mode CloudEvent as published (content type application/cloudevents+json)."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(description="`{transcription id}-{generation}-{attempt}`: one per run")
    source: str = Field(pattern=r"^//tabscribe/transcriptions/[0-9a-f]{32}$")
    type: Literal[
        "dev.tabscribe.transcription.completed",
        "dev.tabscribe.transcription.failed",
        "dev.tabscribe.transcription.blocked",
        "dev.tabscribe.transcription.rejected",
    ]
    subject: str
    time: datetime = Field(description="when the run finished (the document's finished_at)")
    datacontenttype: Literal["application/json"] = "application/json"
    data: CompletionData
