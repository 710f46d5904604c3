"""The results-topic message: one ordered chunk of model output, from transcribe to store.

Validated with pydantic on both sides; `docs/messages.md` documents it and
`docs/schemas/result-chunk.schema.json` is its JSON Schema (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.format.models import Issue
from functions.format.parser import ParserState
from functions.format.splice import Cut
from functions.format.voices import MAX_SNIPPETS, Snippet

Outcome = Literal["completed", "failed", "blocked", "rejected"]
# `chapters` (with the summary) or `translation_<language>`, an ISO 639 code (decision 0026)
ENRICHMENT_NAME = r"^(chapters|translation_[a-z]{2,3})$"


EnrichmentKind = Literal["translation", "chapters"]


def enrichment_kind(name: str) -> tuple[EnrichmentKind, str | None]:
    """An enrichment's kind and language: `translation_fr` → (translation, fr); `chapters` →
    (chapters, None)."""
    if name == "chapters":
        return "chapters", None
    return "translation", name.removeprefix("translation_")


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    thought_tokens: int = Field(default=0, ge=0)
    total_tokens: int = Field(default=0, ge=0)
    cached_tokens: int = Field(default=0, ge=0, description="prompt tokens served from a cache")
    prompt_by_modality: dict[str, int] = Field(
        default_factory=dict, description="prompt tokens per modality: TEXT, VIDEO, AUDIO, …"
    )

    @classmethod
    def total(cls, usages: Iterable[Usage | None]) -> Usage | None:
        """Every request's usage added up (None when none reported any)."""
        known = [usage for usage in usages if usage is not None]
        if not known:
            return None
        modality: dict[str, int] = {}
        for usage in known:
            for name, tokens in usage.prompt_by_modality.items():
                modality[name] = modality.get(name, 0) + tokens
        counts = ("prompt_tokens", "output_tokens", "thought_tokens", "total_tokens")
        totals = {name: sum(getattr(u, name) for u in known) for name in (*counts, "cached_tokens")}
        return cls(**totals, prompt_by_modality=modality)


class ClipTag(BaseModel):
    """Which clip of a fanned-out run a chunk belongs to, and which claim of that clip."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = Field(ge=0, le=999)
    attempt: int = Field(ge=1, description="claim attempt of this clip")


class MediaFile(BaseModel):
    """The run's Files API copy of an object (Developer API, decision 0016): uploaded once, used
    by every request of the run that sends that object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^files/[a-z0-9-]{1,40}$", description="the Files API's name")
    uri: str = Field(min_length=1, description="what a request's file_data names")
    expires_at: datetime = Field(description="the file's expirationTime")
    source: str = Field(pattern=r"^gs://[^/]+/.+#[0-9]{1,20}$", description="gs://bucket/name#gen")


class ObjectTask(BaseModel):
    """What every clips-topic message names: the transcription and the object generation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    transcription_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    bucket: str = Field(min_length=1)
    name: str = Field(min_length=1)
    generation: str = Field(pattern=r"^[0-9]{1,20}$", description="GCS object generation")
    content_type: str | None = None
    size: int | None = None
    media_file: MediaFile | None = Field(
        default=None, description="Developer API: the run's upload of the object, reused"
    )
    published_at: datetime | None = None


class _ClipRunTask(ObjectTask):
    """…and, for a clip or the voices pass, the upload run whose clips it belongs to, and the
    request plan."""

    attempt: int = Field(ge=1, description="the upload run that planned the clips")
    clips: int = Field(ge=2, le=1000, description="how many clips the run has")
    plan: dict[str, Any]

    def _attributes(self, clip: int) -> dict[str, str]:
        return {
            "transcription_id": self.transcription_id,
            "generation": self.generation,
            "attempt": str(self.attempt),
            "clip": str(clip),
        }


class ClipTask(_ClipRunTask):
    """The clips-topic message: one clip of a long upload to transcribe (decision 0010).

    The upload's run (`generation`, `attempt`) planned it; `plan` is the clip's request plan
    (its offsets included) and `prompt` the instructions, so the clip handler reads no header.
    """

    index: int = Field(ge=0, le=999)
    start_ms: int = Field(ge=0)
    end_ms: int = Field(gt=0)
    prompt: str = Field(max_length=100_000)

    def attributes(self) -> dict[str, str]:
        return self._attributes(self.index)


class VoicesTask(_ClipRunTask):
    """The clips-topic message (attribute `task=voices`) that asks the voices pass of a long
    upload's run (decision 0010): which of the merged transcript's voices, each heard in its
    `snippets` entry, are one person. Sent by the store once every clip has finished; claimed
    and answered as clip `clips`, the one after the last, on the results topic. `plan` is the
    first clip's; the offsets are the snippets'."""

    snippets: list[Snippet] = Field(min_length=2, max_length=MAX_SNIPPETS)

    def attributes(self) -> dict[str, str]:
        return {**self._attributes(self.clips), "task": "voices"}


class ContinueTask(ObjectTask):
    """The clips-topic message (attribute `task=continue`) that goes on with a cut-off run
    (decision 0013): a single run, or clip `clip` of a long upload. The run's transcriber hands
    its lease over to the task's `handover` token and publishes this; the continuation claims
    the lease, asks for the rest of the range from a little before `cut.point_ms` and publishes
    its rows as the same run, from chunk `seq` on."""

    attempt: int = Field(ge=1, description="the run's attempt (a clip's: its clip attempt)")
    clip: ClipTag | None = Field(default=None, description="the clip, for a clip run")
    upload_attempt: int = Field(ge=1, description="the upload run (the attempt, for a single run)")
    plan: dict[str, Any] = Field(description="the run's request plan")
    prompt: str = Field(max_length=100_000, description="the run's own instructions")
    duration_ms: int | None = Field(default=None, ge=0, description="the media's, single runs")
    number: int = Field(ge=1, description="1 for the run's first continuation")
    stalls: int = Field(default=0, ge=0, description="continuations in a row with no progress")
    seq: int = Field(ge=1, description="the run's next chunk")
    cut: Cut
    why: str = Field(max_length=1000, description="why the output stopped")
    usage: Usage | None = Field(default=None, description="every request of the run so far")
    issues: list[Issue] = Field(default_factory=list, max_length=10)

    @property
    def handover(self) -> str:
        """The lease's holder between the hand-over and the continuation's claim."""
        clip = f"-{self.clip.index}" if self.clip else ""
        run = f"{self.transcription_id}-{self.generation}-{self.upload_attempt}{clip}"
        return f"continue-{run}-{self.attempt}-{self.number}"

    def attributes(self) -> dict[str, str]:
        return {
            "transcription_id": self.transcription_id,
            "generation": self.generation,
            "attempt": str(self.upload_attempt),
            **({"clip": str(self.clip.index)} if self.clip else {}),
            "task": "continue",
        }


class EnrichTask(ObjectTask):
    """The clips-topic message (attribute `task=enrich`) that asks one enrichment of a completed
    run (decision 0026): a translation into one language (`translation_fr`) or the chapters and
    summary (`chapters`). Published by the store once the run's transcript is complete, after it
    recorded `enrichments.{name}` as `processing`; a text-only request over the stored transcript,
    claimed under a lease of its own, recorded by the enrichment itself."""

    attempt: int = Field(ge=1, description="the upload run whose transcript is enriched")
    enrichment: str = Field(pattern=ENRICHMENT_NAME, description="chapters or translation_{lang}")

    def attributes(self) -> dict[str, str]:
        return {
            "transcription_id": self.transcription_id,
            "generation": self.generation,
            "attempt": str(self.attempt),
            "task": "enrich",
            "enrichment": self.enrichment,
        }


class ResultChunk(BaseModel):
    """Complete lines of model output, `seq`-th of run (`generation`, `attempt`).

    A run is one claim of one object generation; a later attempt or generation supersedes an
    earlier one. `state` is the parser's state before the first line, so each chunk parses alone.
    The text travels inline, or, above the size limit, in an object named by `text_uri` (a claim
    check). The `final` chunk closes the run and carries its outcome and accounting.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    transcription_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    generation: str = Field(pattern=r"^[0-9]{1,20}$", description="GCS object generation")
    attempt: int = Field(ge=1, description="claim attempt that produced this run")
    seq: int = Field(ge=0)
    clip: ClipTag | None = Field(default=None, description="set on the chunks of a clip run")
    final: bool = False
    state: ParserState = Field(default_factory=ParserState)
    text: str | None = Field(default=None, max_length=1_000_000)
    text_uri: str | None = Field(default=None, pattern=r"^gs://[^/]+/.+$")
    published_at: datetime | None = None

    # Final chunk only.
    outcome: Outcome | None = None
    reason: str | None = Field(default=None, max_length=2000)
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    plan: dict[str, Any] | None = None
    duration_ms: int | None = Field(default=None, ge=0)
    timings: dict[str, float] | None = None
    issues: list[Issue] | None = Field(
        default=None, max_length=10, description="what the transcriber found in the stream"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ResultChunk:
        if self.text is not None and self.text_uri is not None:
            raise ValueError("text and text_uri are exclusive")
        if self.final != (self.outcome is not None):
            raise ValueError("outcome is required on the final chunk, and only there")
        return self

    @property
    def run(self) -> tuple[int, int]:
        """Orders runs: a newer generation, then a later attempt, wins."""
        return int(self.generation), self.attempt

    def attributes(self) -> dict[str, str]:
        """Pub/Sub attributes, for filtering and logs without decoding the body."""
        return {
            "transcription_id": self.transcription_id,
            "generation": self.generation,
            "attempt": str(self.attempt),
            "seq": str(self.seq),
            "final": str(self.final).lower(),
            **({"clip": str(self.clip.index)} if self.clip else {}),
        }
