"""What the service refuses for a given model, read from the shared model catalog
(functions/core/models.toml), so the stand-in and the product cannot disagree about a model. The
catalog is data; the counting here is the stand-in's own (it shares no logic with the product's
pre-call check)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from functions.core.catalog import Mode, Model, Resolution, catalog
from standin.errors import ApiError, invalid

# Other names of formats the Developer API lists, sent by the SDK (Python's mimetypes guess when an
# upload names no type) or by the product; taken as the service is inferred to (docs/standin.md).
DEVELOPER_SYNONYMS = {
    "audio/x-wav": "audio/wav",
    "audio/mpeg": "audio/mp3",
    "audio/x-aiff": "audio/aiff",
    "video/quicktime": "video/mov",
    "video/x-msvideo": "video/avi",
    "video/x-ms-wmv": "video/wmv",
    "audio/mp4": "audio/aac",  # AAC in MP4: the product's audio-only MP4; Vertex lists it
    "audio/m4a": "audio/aac",
}
RESOLUTION_KEYS: dict[str, Resolution] = {
    "MEDIA_RESOLUTION_UNSPECIFIED": "unspecified",
    "MEDIA_RESOLUTION_LOW": "low",
    "MEDIA_RESOLUTION_MEDIUM": "medium",
    "MEDIA_RESOLUTION_HIGH": "high",
}
ULTRA_HIGH = "MEDIA_RESOLUTION_ULTRA_HIGH"


@dataclass(frozen=True)
class Where:
    """The path a model call came in on: API version and, on Vertex, project and location."""

    version: str
    project: str = ""
    location: str = "global"
    method: str = "generateContent"


def served_model(model_id: str, mode: Mode, where: Where, today: dt.date | None) -> Model:
    """The catalog entry of a model the service answers for, else the service's 404."""
    model = catalog().get(model_id)
    if model is None or model.shut_down(today):
        raise not_found(model_id, mode, where)
    if mode == "vertex" and where.location not in model.vertex_locations:
        raise not_found(model_id, mode, where)
    return model


def not_found(model_id: str, mode: Mode, where: Where) -> ApiError:
    if mode == "vertex":
        name = (
            f"projects/{where.project}/locations/{where.location}/publishers/google/models/"
            f"{model_id}"
        )
        return ApiError(
            404,
            f"Publisher Model `{name}` was not found or your project does not have access to "
            "it. Please ensure you are using a valid model version.",
        )
    return ApiError(
        404,
        f"models/{model_id} is not found for API version {where.version}, or is not supported for "
        f"{where.method}. Call ListModels to see the list of available models and their "
        "supported methods.",
    )


def check_mime(mime: str, mode: Mode) -> None:
    listed = catalog().mime_types[mode]
    if mime in listed or (mode == "developer" and DEVELOPER_SYNONYMS.get(mime) in listed):
        return
    raise invalid(f"Unsupported MIME type: {mime}")


def check_labels(labels: Any) -> None:
    """A Vertex request's `labels`: at most 64; keys 1 to 63 characters starting with a lowercase
    letter, values up to 63, both only lowercase letters, digits, `_` and `-` ("Custom metadata
    labels", cloud.google.com/vertex-ai/generative-ai/docs/multimodal/add-labels-to-api-calls)."""
    if labels is None:
        return
    if not isinstance(labels, dict) or len(labels) > 64:
        raise invalid("labels: a map of at most 64 labels is allowed.")
    for key, value in labels.items():
        good_key = 1 <= len(key) <= 63 and key[0].isalpha() and _label_chars(key)
        if not (good_key and isinstance(value, str) and len(value) <= 63 and _label_chars(value)):
            raise invalid(
                f"Invalid label {key}={value!r}: keys (1 to 63 characters, starting with a "
                "letter) and values (up to 63) take only lowercase letters, digits, `_` and `-`."
            )


def _label_chars(text: str) -> bool:
    return all(c.isdigit() or c in "_-" or (c.isalpha() and not c.isupper()) for c in text)


def check_part_resolution(model: Model, level: str, mime: str | None) -> None:
    """Per-part media resolution: Gemini 3 only; ULTRA_HIGH for images only."""
    if model.generation < 3:
        raise invalid(
            f"Per-part media resolution is not supported for models/{model.id}; "
            "use generation_config.media_resolution."
        )
    check_ultra_high(level, mime)


def check_ultra_high(level: str, mime: str | None) -> None:
    if level == ULTRA_HIGH and (mime or "").startswith("video/"):
        raise invalid(f"{ULTRA_HIGH} is supported for images only, not for {mime}.")


def check_max_output(model: Model, value: Any) -> None:
    limit = model.max_output_tokens
    if not 1 <= int(value) <= limit:
        raise invalid(
            f"Unable to submit request because it has a maxOutputTokens value of {value} but "
            f"the supported range is from 1 (inclusive) to {limit + 1} (exclusive). Update the "
            "value and try again."
        )


def check_thinking(model: Model, level: Any, budget: Any) -> None:
    if level is not None and budget is not None:
        raise invalid("You can only set only one of thinking budget and thinking level.")
    if level is not None:
        _check_level(model, str(level).upper())
    if budget is not None:
        _check_budget(model, int(budget))


def _check_level(model: Model, level: str) -> None:
    if model.generation < 3:
        raise invalid("Thinking level is not supported for this model.")
    if level != "THINKING_LEVEL_UNSPECIFIED" and level not in model.thinking_levels:
        raise invalid(
            f"Thinking level {level} is not supported for models/{model.id}. Supported "
            f"levels: {', '.join(model.thinking_levels)}."
        )


def _check_budget(model: Model, budget: int) -> None:
    """2.x: the catalog's range or -1 (dynamic); Gemini 3 takes a budget alone for backward
    compatibility (range not published: -1..32768 kept)."""
    low, high = (
        (0, 32_768)
        if model.thinking_budget is None
        else (
            model.thinking_budget.min,
            model.thinking_budget.max,
        )
    )
    if budget == -1 or low <= budget <= high:
        return
    if budget == 0:
        raise invalid("Budget 0 is invalid. This model only works in thinking mode.")
    raise invalid(
        f"The thinking budget {budget} is invalid. Please choose a value between {low} and {high}."
    )


def check_part_counts(model: Model, kinds: Sequence[Literal["video", "audio"]]) -> None:
    """At most `videos_per_prompt` video parts and `audio_per_prompt` audio parts (several
    parts on one object count as several files), in the service's words."""
    limits = model.limits
    for kind, most in (("video", limits.videos_per_prompt), ("audio", limits.audio_per_prompt)):
        count = sum(1 for k in kinds if k == kind)
        if count > most:
            raise invalid(
                f"Unable to submit request because it has {count} {kind} files but the model "
                f"only supports up to {most}."
            )


def check_lengths(model: Model, spans: Sequence[tuple[Literal["video", "audio"], float]]) -> None:
    """Each video part within the video length per prompt (the with-audio figure: the stand-in
    takes every video to have sound), all audio together within `audio_s`."""
    limits = model.limits
    for kind, seconds in spans:
        if kind == "video" and seconds > limits.video_s_with_audio:
            raise invalid(
                f"Unable to submit request because it has a video of {seconds:g} seconds but "
                f"the model only supports videos up to {limits.video_s_with_audio:g} seconds."
            )
    audio_s = sum(seconds for kind, seconds in spans if kind == "audio")
    if audio_s > limits.audio_s:
        raise invalid(
            f"Unable to submit request because it has {audio_s:g} seconds of audio but the "
            f"model only supports up to {limits.audio_s:g} seconds."
        )


def model_list(today: dt.date | None, page_size: int, page_token: str) -> dict[str, Any]:
    """GET /{version}/models: the served catalog models in the Developer API's list format,
    `page_size` a page (the token: the next index)."""
    served = [m for m in catalog().models.values() if not m.shut_down(today)]
    start = int(page_token) if page_token.isdigit() else 0
    page = served[start : start + page_size]
    body: dict[str, Any] = {"models": [_listed(m) for m in page]}
    if start + page_size < len(served):
        body["nextPageToken"] = str(start + page_size)
    return body


def _listed(model: Model) -> dict[str, Any]:
    words = model.id.removeprefix("gemini-").split("-")
    return {
        "name": f"models/{model.id}",
        "version": "001",
        "displayName": " ".join(["Gemini", *(w.capitalize() for w in words)]),
        "inputTokenLimit": catalog().context_window,
        "outputTokenLimit": model.max_output_tokens,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "thinking": True,
    }


def frame_tokens(model: Model, level: Any) -> int:
    key = RESOLUTION_KEYS.get(str(level or "MEDIA_RESOLUTION_UNSPECIFIED"), "high")
    return model.frame_tokens[key]
