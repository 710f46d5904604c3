"""The model catalog (`models.toml`): which Gemini models exist, which are served today, and the
request facts of each (locations, thinking, token costs, limits, MIME names, prices).

Read by the request plan, the settings, the cost estimate and the Gemini API stand-in, so the
product and its stand-in cannot disagree about a model.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CATALOG_FILE = Path(__file__).with_name("models.toml")
Mode = Literal["developer", "vertex"]
Resolution = Literal["unspecified", "low", "medium", "high"]


class Price(BaseModel):
    """USD per million tokens (paid tier, prompts up to 200k tokens)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0, description="prompt tokens: text, image, video")
    input_audio: float = Field(ge=0, description="prompt tokens of audio-only media")
    output: float = Field(ge=0, description="output tokens, thinking included")


class ThinkingBudget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int
    max: int
    plan: int


class VideoLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    with_audio: int
    without_audio: int


class Model(BaseModel):
    """One model's facts; `unverified` names those the sources did not confirm."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    generation: Literal[2, 3]
    stage: Literal["preview", "ga"]
    shutdown: dt.date | None = None
    sources: tuple[str, ...]
    vertex_locations: tuple[str, ...]
    thinking_levels: tuple[str, ...] = ()
    plan_thinking_level: str | None = None
    thinking_budget: ThinkingBudget | None = None
    frame_tokens: dict[Resolution, int]
    audio_tokens_per_s: int
    max_output_tokens: int
    max_video_s_vertex: VideoLimits | None = None
    price: Price | None = None
    unverified: tuple[str, ...] = ()

    def shut_down(self, today: dt.date | None = None) -> bool:
        return self.shutdown is not None and (today or dt.date.today()) >= self.shutdown

    def vertex_location(self, preferred: str) -> str:
        """`preferred` where the model is served there, else its first listed location."""
        return preferred if preferred in self.vertex_locations else self.vertex_locations[0]


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    read_on: dt.date
    context_window: int
    mime_types: dict[Mode, frozenset[str]]
    mime_aliases: dict[Mode, dict[str, str]] = Field(default_factory=dict)
    models: dict[str, Model]

    def get(self, model_id: str) -> Model | None:
        return self.models.get(model_id.removeprefix("models/"))

    def served(self, today: dt.date | None = None) -> list[str]:
        return [m.id for m in self.models.values() if not m.shut_down(today)]

    def mime_type(self, mime: str, mode: Mode) -> str | None:
        """The name `mode` knows `mime` by, or None when that API does not take it."""
        name = self.mime_aliases.get(mode, {}).get(mime, mime)
        return name if name in self.mime_types[mode] else None

    def accepted(self, mime: str) -> bool:
        """Does either API take `mime` (the upload function's check, before any mode is known)?"""
        return any(self.mime_type(mime, mode) for mode in self.mime_types)

    def refusal(self, model_id: str, setting: str, today: dt.date | None = None) -> str | None:
        """Why `model_id` cannot be used (naming `setting`), or None when it can."""
        model = self.get(model_id)
        served = ", ".join(self.served(today))
        if model is None:
            return f"{setting}: {model_id!r} is not in the model catalog; use one of: {served}"
        if model.shut_down(today):
            return (
                f"{setting}: {model_id!r} was shut down on {model.shutdown}; use one of: {served}"
            )
        return None

    def view(self) -> dict[str, Any]:
        """The catalog as JSON data, the default marked (`python -m functions models`)."""
        return {
            "read_on": self.read_on.isoformat(),
            "context_window": self.context_window,
            "mime_types": {mode: sorted(names) for mode, names in self.mime_types.items()},
            "mime_aliases": self.mime_aliases,
            "models": [
                {
                    **m.model_dump(mode="json"),
                    "default": m.id == self.default,
                    "served": not m.shut_down(),
                }
                for m in self.models.values()
            ],
        }


@cache
def catalog() -> Catalog:
    raw = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    raw["models"] = {key: {"id": key, **facts} for key, facts in raw["models"].items()}
    return Catalog.model_validate(raw)
