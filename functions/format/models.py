"""Validated records of a transcription: what the parser produces and the store persists."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", frozen=True)

MAX_TEXT_CHARS = 5_000  # one segment; longer model output is cut with an issue
MAX_FIELD_CHARS = 300  # one speaker attribute
# Highest voice ID a segment may carry (higher ones are read as unknown, with an issue): it bounds
# the distinct voices of a run, whose per-voice statistics the store keeps in one document.
MAX_VOICE_ID = 100


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


class ParseResult(BaseModel):
    """The whole parse: the CLI prints it as JSON (keys of the output contract, plus extras)."""

    model_config = _STRICT

    segments: list[Segment]
    speakers: list[Speaker]
    complete: bool
    issues: list[Issue]
