"""The model catalog (`models.toml`): which Gemini models exist, which are served today, and the
request facts of each (locations, thinking, token costs, per-prompt limits, MIME names, prices).

Read by the request plan, the settings, the pre-call limit check, the cost estimate and the
Gemini API stand-in (which reads the data and counts with its own code), so the product and its
stand-in cannot disagree about a model.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CATALOG_FILE = Path(__file__).with_name("models.toml")
Mode = Literal["developer", "vertex"]
Tier = Literal["standard", "batch"]  # how a request is billed: at once, or in a batch job
Resolution = Literal["unspecified", "low", "medium", "high"]


class Price(BaseModel):
    """USD per million tokens (paid tier, prompts up to 200k tokens), in force from `effective`
    (None: since the model's release) until the next price's date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective: dt.date | None = None
    input: float = Field(ge=0, description="prompt tokens: text, image, video")
    input_audio: float = Field(ge=0, description="prompt tokens of audio-only media")
    output: float = Field(ge=0, description="output tokens, thinking included")

    def scaled(self, share: float) -> Price:
        """The same price times `share` (a batch request's price)."""
        return self.model_copy(
            update={
                "input": self.input * share,
                "input_audio": self.input_audio * share,
                "output": self.output * share,
            }
        )


class ThinkingBudget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int
    max: int
    plan: int


class Limits(BaseModel):
    """What one prompt may hold (the model pages' technical specifications; models.toml's
    header quotes them): media parts by kind, and the seconds of media each may cover."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    videos_per_prompt: int = Field(gt=0)
    audio_per_prompt: int = Field(gt=0)
    video_s_with_audio: float = Field(gt=0, description="per video part")
    video_s_without_audio: float = Field(gt=0, description="per video part")
    audio_s: float = Field(gt=0, description="all audio parts of the prompt together")

    def media_s(self, has_video: bool, has_audio: bool = True) -> float:
        """The longest media one part may cover: a video (with or without sound) or audio."""
        if not has_video:
            return self.audio_s
        return self.video_s_with_audio if has_audio else self.video_s_without_audio


@dataclass(frozen=True)
class MediaPart:
    """One media part of a request as the limits see it; `seconds` None when unknown."""

    kind: Literal["video", "audio"]
    seconds: float | None
    has_audio: bool = True


class Model(BaseModel):
    """One model's facts; `unverified` names those the sources did not confirm."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    generation: Literal[2, 3, 4]
    stage: Literal["preview", "ga"]
    released: dt.date | None = None
    deprecated: bool = Field(default=False, description="announced; still served until shutdown")
    routed_to: str | None = Field(default=None, description="the model that answers its requests")
    shutdown: dt.date | None = None
    sources: tuple[str, ...]
    vertex_locations: tuple[str, ...]
    thinking_levels: tuple[str, ...] = ()
    plan_thinking_level: str | None = None
    thinking_budget: ThinkingBudget | None = None
    frame_tokens: dict[Resolution, int]
    audio_tokens_per_s: int
    max_output_tokens: int
    limits: Limits
    prices: tuple[Price, ...] = ()
    unverified: tuple[str, ...] = ()

    @property
    def price(self) -> Price | None:
        """The list price in force today."""
        return price_on(self.prices, dt.datetime.now(dt.UTC).date())

    def shut_down(self, today: dt.date | None = None) -> bool:
        return self.shutdown is not None and (today or dt.date.today()) >= self.shutdown

    def vertex_location(self, preferred: str) -> str:
        """`preferred` where the model is served there, else its first listed location."""
        return preferred if preferred in self.vertex_locations else self.vertex_locations[0]


def price_on(prices: Sequence[Price], day: dt.date) -> Price | None:
    """The price in force on `day`: the latest whose `effective` date is not after it."""
    in_force = [p for p in prices if p.effective is None or p.effective <= day]
    return max(in_force, key=lambda p: p.effective or dt.date.min, default=None)


def limit_refusal(model: Model, mode: Mode, parts: Sequence[MediaPart]) -> str | None:
    """Why the service would refuse a prompt with these media parts (the model page's limits,
    worded as the service words the count), or None when it fits. The product's one check,
    run right before every call (`functions/transcribe/gemini.py`); `mode` names the API."""
    limits = model.limits
    videos = [p for p in parts if p.kind == "video"]
    audio = [p for p in parts if p.kind == "audio"]
    for kind, found, most in (
        ("video", videos, limits.videos_per_prompt),
        ("audio", audio, limits.audio_per_prompt),
    ):
        if len(found) > most:
            return (
                f"Unable to submit request because it has {len(found)} {kind} files but the "
                f"model only supports up to {most}."
            )
    api = "Vertex AI" if mode == "vertex" else "the Gemini Developer API"
    for n, part in enumerate(videos):
        most_s = limits.media_s(True, part.has_audio)
        if part.seconds is not None and part.seconds > most_s:
            sound = "with" if part.has_audio else "without"
            return (
                f"video part {n + 1} covers {part.seconds:g} s of video {sound} audio; "
                f"{model.id} takes at most {most_s:g} s per video on {api}"
            )
    audio_s = sum(p.seconds or 0.0 for p in audio)
    if audio_s > limits.audio_s:
        return (
            f"the prompt holds {audio_s:g} s of audio; {model.id} takes at most "
            f"{limits.audio_s:g} s"
        )
    return None


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    read_on: dt.date
    context_window: int
    batch_price_share: float = Field(gt=0, le=1, description="a batch request's share of the price")
    object_bytes: dict[Mode, int] = Field(description="the largest media object per mode")
    mime_types: dict[Mode, frozenset[str]]
    mime_aliases: dict[Mode, dict[str, str]] = Field(default_factory=dict)
    languages: dict[str, str] = Field(
        min_length=1, description="ISO 639 code → English name: what a translation may target"
    )
    models: dict[str, Model]

    def tier_price(self, price: Price, tier: Tier) -> Price:
        """`price` as billed for a request of `tier`."""
        return price.scaled(self.batch_price_share) if tier == "batch" else price

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
            "batch_price_share": self.batch_price_share,
            "object_bytes": self.object_bytes,
            "mime_types": {mode: sorted(names) for mode, names in self.mime_types.items()},
            "mime_aliases": self.mime_aliases,
            "languages": self.languages,
            "models": [
                {
                    **m.model_dump(mode="json"),
                    "price_today": m.price.model_dump(mode="json") if m.price else None,
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
