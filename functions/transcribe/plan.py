"""The request plan: how to ask Gemini about one media file, decided before the call.

Model and its Vertex location, the MIME name the API knows, media resolution, frame rate, segment
offsets, timecode format, output budget, thinking, and an input-token estimate checked against the
context window: every model fact from the catalog (`functions/core/models.toml`). Uploader
overrides come from the object's custom metadata and are validated against allowed values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.core.catalog import Mode, Model, catalog
from functions.core.media import UnknownLanguage, translate_codes
from functions.format.tables import parse_timecode
from functions.transcribe.media import MediaInfo, MediaRejected
from functions.transcribe.prompt import timecode_format

PROMPT_TOKENS = 1_000  # instructions and context, generously
LOW_RESOLUTION_FROM_S = 5 * 60  # Gemini 2.x, seed 001: medium below five minutes, low above
VOICES_FPS = 0.5  # the voices pass's reel: a face every two seconds
Resolution = Literal["low", "medium", "high"]


class Plan(BaseModel):
    """Everything the request needs besides the media part and the prompt text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    generation: int = Field(description="model generation: 2 (2.x), 3 or 4")
    location: str | None = Field(default=None, description="Vertex AI location (Vertex mode)")
    mime_type: str = Field(description="the media's MIME type as the API in use names it")
    has_video: bool
    has_audio: bool = True
    duration_s: float | None = Field(description="of the requested segment")
    start_s: float | None = None
    end_s: float | None = None
    media_resolution: Resolution
    fps: float | None = Field(default=None, gt=0, le=24)
    timecode_format: str
    max_output_tokens: int
    temperature: float | None
    top_p: float | None
    seed: int | None
    thinking_budget: int | None = None
    thinking_level: str | None = Field(default=None, description="Gemini 3: MINIMAL … HIGH")
    estimated_input_tokens: int | None


class Overrides(BaseModel):
    """Processing choices an uploader may set in custom metadata."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str | None = None
    media_resolution: Resolution | None = None
    fps: float | None = Field(default=None, gt=0, le=24)
    start: str | None = None
    end: str | None = None
    duration: str | None = Field(default=None, description="used when the header has none")
    events: bool | None = Field(default=None, description="ask for the sound events table")
    priority: Literal["standard", "batch"] | None = Field(
        default=None, description="`batch`: through Gemini's batch service (decision 0032)"
    )
    translate: str | None = Field(
        default=None, description="languages to translate into: ISO 639 codes, comma-separated"
    )
    chapters: bool | None = Field(default=None, description="ask for the chapters and summary")

    def languages(self) -> list[str] | None:
        """The `translate` codes (None: unset, the settings decide); `UnknownLanguage` for a
        code the catalog does not list."""
        return None if self.translate is None else translate_codes(self.translate)


def declared_duration_s(overrides: Overrides) -> float | None:
    """The uploader's `duration` in seconds (or a timecode), which stands in for a header
    without one (a WebM from a browser recorder): the context-window check, the clip plan and
    progress need it; `bounds.measured` bounds it. An invalid value rejects the upload, like
    every override."""
    declared = _offset_s(overrides.duration, "duration")
    if declared is not None and declared <= 0:
        raise MediaRejected(f"metadata duration={overrides.duration!r} must be positive")
    return declared


def estimate_input_tokens(
    model: Model, duration_s: float, has_video: bool, resolution: Resolution, fps: float | None
) -> int:
    frames = math.ceil(duration_s * (fps or 1.0)) if has_video else 0
    audio = math.ceil(duration_s * model.audio_tokens_per_s)
    return frames * model.frame_tokens[resolution] + audio + PROMPT_TOKENS


def _offset_s(value: str | None, name: str) -> float | None:
    if value is None or not value.strip():
        return None
    ms = parse_timecode(value)  # seconds (`90`, `90.5s`) or a timecode (`01:30`)
    if ms is None:
        raise MediaRejected(f"metadata {name}={value!r} is not a time (seconds or MM:SS)")
    return ms / 1000


def parse_overrides(metadata: Mapping[str, str], allowed_models: tuple[str, ...]) -> Overrides:
    try:
        overrides = Overrides.model_validate(dict(metadata))
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise MediaRejected(f"invalid processing metadata: {problems}") from None
    try:
        overrides.languages()
    except UnknownLanguage as exc:
        raise MediaRejected(f"invalid processing metadata: {exc}") from None
    if overrides.model is not None and overrides.model not in allowed_models:
        raise MediaRejected(
            f"metadata model={overrides.model!r} is not allowed; use one of {list(allowed_models)}"
        )
    return overrides


def make_plan(
    media: MediaInfo,
    model_id: str,
    overrides: Overrides,
    mode: Mode,
    location: str,
    resolution_of_s: float | None = None,
) -> Plan:
    """Plan the request, or reject media that this model and API cannot take in one request.
    `resolution_of_s`: the length that decides the media resolution (a clip's is the whole
    range's, so clipping changes neither what the model sees nor the cost per second)."""
    model = _served_model(overrides.model or model_id)
    mime_type = _mime_type(media.mime_type, mode)
    start, end = _offset_s(overrides.start, "start"), _offset_s(overrides.end, "end")
    duration = _segment_duration(media.duration_s, start, end)
    sized = resolution_of_s if resolution_of_s is not None else duration
    resolution = overrides.media_resolution or _resolution_for(
        model, sized, media.has_video, overrides.fps
    )
    window = catalog().context_window
    estimate = None
    if duration is not None:
        estimate = estimate_input_tokens(
            model, duration, media.has_video, resolution, overrides.fps
        )
        if estimate > window:
            raise MediaRejected(
                f"media too long for one request: about {estimate:,} input tokens, the model's "
                f"window is {window:,}; upload a shorter file or set start/end metadata"
            )
    return Plan(
        **_model_fields(model, mode, location),
        mime_type=mime_type,
        has_video=media.has_video,
        has_audio=media.has_audio,
        duration_s=duration,
        start_s=start,
        end_s=end,
        media_resolution=resolution,
        fps=overrides.fps if media.has_video else None,
        timecode_format=timecode_format(media.duration_s),
        estimated_input_tokens=estimate,
    )


def text_plan(
    model_id: str, mode: Mode, location: str, estimated_input_tokens: int, duration_s: float | None
) -> Plan:
    """A text-only request's plan (an enrichment, decision 0026): no media part, the model's
    output limit, thinking and sampling as a transcription's; `MediaRejected` for a model the
    catalog does not serve, or a prompt larger than the context window."""
    model = _served_model(model_id)
    window = catalog().context_window
    if estimated_input_tokens > window:
        raise MediaRejected(
            f"request too long: about {estimated_input_tokens:,} input tokens, the model's window "
            f"is {window:,}"
        )
    return Plan(
        **_model_fields(model, mode, location),
        mime_type="text/plain",
        has_video=False,
        has_audio=False,
        duration_s=None,
        media_resolution="low",
        timecode_format=timecode_format(duration_s),
        estimated_input_tokens=estimated_input_tokens,
    )


def _model_fields(model: Model, mode: Mode, location: str) -> dict[str, Any]:
    """What a plan takes from the model: where it is served, its output limit, its sampling
    (seed 001's deterministic settings on Gemini 2.x; Gemini 3 keeps its defaults), thinking."""
    deterministic = model.generation == 2
    budget = model.thinking_budget
    return {
        "model": model.id,
        "generation": model.generation,
        "location": model.vertex_location(location) if mode == "vertex" else None,
        "max_output_tokens": model.max_output_tokens,
        "temperature": 0.0 if deterministic else None,
        "top_p": 0.0 if deterministic else None,
        "seed": 42 if deterministic else None,
        "thinking_budget": budget.plan if budget else None,
        "thinking_level": model.plan_thinking_level,
    }


def voices_plan(plan: Plan, mime_type: str, has_video: bool, reel_s: float) -> Plan:
    """The run's plan for the voices pass's reel (decision 0014): the whole reel, at low
    resolution and a frame every two seconds (a voice and a face need neither sharp nor
    frequent frames: a quarter, then half the tokens), its own length and estimate."""
    reel = {
        "start_s": None,
        "end_s": None,
        "duration_s": float(reel_s),
        "mime_type": mime_type,
        "has_video": has_video,
        "media_resolution": "low",
        "fps": VOICES_FPS if has_video else None,
    }
    return reestimated(plan.model_copy(update=reel))


def reestimated(plan: Plan) -> Plan:
    """`plan` with the input-token estimate of its own range, resolution and frame rate."""
    if plan.duration_s is None:
        return plan.model_copy(update={"estimated_input_tokens": None})
    model = _served_model(plan.model)
    estimate = estimate_input_tokens(
        model, plan.duration_s, plan.has_video, plan.media_resolution, plan.fps
    )
    return plan.model_copy(update={"estimated_input_tokens": estimate})


def segment_range(total_s: float | None, overrides: Overrides) -> tuple[float, float | None]:
    """The requested range in seconds: the uploader's start to end, else the whole media (its end
    None when the length is unknown); `MediaRejected` for a range that does not fit."""
    start, end = _offset_s(overrides.start, "start"), _offset_s(overrides.end, "end")
    duration = _segment_duration(total_s, start, end)
    begin = start or 0.0
    return begin, None if duration is None else begin + duration


def _served_model(model_id: str) -> Model:
    """The catalog's model (settings and overrides were checked against it already)."""
    refusal = catalog().refusal(model_id, "model")
    model = catalog().get(model_id)
    if refusal or model is None:
        raise MediaRejected(refusal or f"model {model_id!r} is not in the model catalog")
    return model


def _mime_type(mime: str, mode: Mode) -> str:
    named = catalog().mime_type(mime, mode)
    if named is None:
        api = "Vertex AI" if mode == "vertex" else "The Gemini Developer API"
        raise MediaRejected(f"{api} does not accept {mime} media; convert it to MP4 or MP3")
    return named


def _segment_duration(total: float | None, start: float | None, end: float | None) -> float | None:
    if start is not None and end is not None and end <= start:
        raise MediaRejected(f"metadata end ({end:g} s) must be after start ({start:g} s)")
    if total is not None:
        for name, value in (("start", start), ("end", end)):
            if value is not None and value > total:
                raise MediaRejected(f"metadata {name} ({value:g} s) is past the media's end")
    if total is None:
        return end - (start or 0.0) if end is not None else None
    return (end if end is not None else total) - (start or 0.0)


def _resolution_for(
    model: Model, duration_s: float | None, has_video: bool, fps: float | None
) -> Resolution:
    """Gemini 3 and later: high (280 tokens a frame, reads on-screen names) where the context window
    allows it for `duration_s`, else low (70; medium costs the same). Gemini 2.x (seed 001):
    medium (258) below five minutes, low (66) above."""
    if model.generation >= 3:
        if duration_s is None:
            return "high"
        at_high = estimate_input_tokens(model, duration_s, has_video, "high", fps)
        return "high" if at_high <= catalog().context_window else "low"
    return "medium" if duration_s is None or duration_s < LOW_RESOLUTION_FROM_S else "low"
