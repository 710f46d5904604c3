"""Validated records of a transcription: what the parser produces and the store persists."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", frozen=True)

MAX_TEXT_CHARS = 5_000  # one segment; longer model output is cut with an issue
MAX_FIELD_CHARS = 300  # one speaker attribute
# Highest voice ID a segment may carry (higher ones are read as unknown, with an issue): it bounds
# the distinct voices of a run, whose per-voice statistics the store keeps in one document.
MAX_VOICE_ID = 100
# The sound events the prompt may name (decision 0025): what subtitles for the deaf and hard of
# hearing conventionally mark and a listener navigates by. Closed: any other kind is an issue.
EVENT_KINDS = ("applause", "laughter", "cheering", "music", "crowd", "footsteps")


class Issue(BaseModel):
    """A repair, a dropped row or a warning. `code` is stable (docs/format.md lists them)."""

    model_config = _STRICT

    code: str = Field(pattern=r"^[a-z_]+$")
    message: str
    line: int | None = Field(default=None, ge=1, description="1-based line of the model output")


class Segment(BaseModel):
    """One speech segment: who (voice) said what (text), starting when (start_ms). Not frozen:
    `end_ms` is derived once the next segment (or the end of the output) is known."""

    model_config = ConfigDict(extra="forbid")

    start_ms: int = Field(ge=0)
    voice: int | None = Field(ge=0)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    end_ms: int | None = Field(default=None, ge=0)


class Speaker(BaseModel):
    """Who a voice is. `None` means unknown (`?` in the model output)."""

    model_config = _STRICT

    voice: int = Field(ge=0)
    name: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    company: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    position: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    role: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    evidence: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    evidence_ms: int | None = Field(default=None, ge=0)
    placeholder: bool = Field(
        default=False, description="True when the voice speaks but the speaker table omits it"
    )


class Event(BaseModel):
    """A sound event (`<EVENTS>`, asked only with `events=true`): which kind, from when to when.
    `end_ms` is None when the answer gave no end after the start."""

    model_config = _STRICT

    start_ms: int = Field(ge=0)
    end_ms: int | None = Field(default=None, ge=0)
    kind: str = Field(pattern="^(" + "|".join(EVENT_KINDS) + ")$")


class ParseResult(BaseModel):
    """The whole parse: the CLI prints it as JSON (keys of the output contract, plus extras)."""

    model_config = _STRICT

    segments: list[Segment]
    speakers: list[Speaker]
    complete: bool
    issues: list[Issue]
    events: list[Event] | None = Field(
        default=None, description="the sound events; None when the output has no events table"
    )

    def to_json(self) -> str:
        """As the command line prints it: `events` only when the output had an events table."""
        return self.model_dump_json(indent=2, exclude={"events"} if self.events is None else None)
