"""The Gemini REST vocabulary the stand-in checks: error shapes, request parsing and validation,
and the token arithmetic of usageMetadata (docs/standin.md)."""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# Messages the real API sends for the transient errors (fault injection reuses them).
TRANSIENT_MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

SUPPORTED_MIME_TYPES = frozenset(
    {
        "video/mp4",
        "video/mpeg",
        "video/mov",
        "video/quicktime",
        "video/avi",
        "video/x-msvideo",
        "video/x-flv",
        "video/mpg",
        "video/webm",
        "video/wmv",
        "video/x-ms-wmv",
        "video/3gpp",
        "audio/wav",
        "audio/x-wav",
        "audio/mp3",
        "audio/mpeg",
        "audio/aiff",
        "audio/x-aiff",
        "audio/aac",
        "audio/ogg",
        "audio/flac",
        "audio/x-flac",
        "audio/webm",
        "audio/mp4",
        "audio/m4a",
        "audio/x-m4a",
        "audio/opus",
        "audio/pcm",
    }
)
MAX_INPUT_TOKENS = 1_048_576
MAX_OUTPUT_TOKENS = 65_536
AUDIO_TOKENS_PER_S = 32
MEDIA_RESOLUTIONS = frozenset(
    {
        "MEDIA_RESOLUTION_UNSPECIFIED",
        "MEDIA_RESOLUTION_LOW",
        "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_HIGH",
        "MEDIA_RESOLUTION_ULTRA_HIGH",
    }
)
THINKING_LEVELS = frozenset({"THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"})
MODEL_NAME = re.compile(r"^gemini-[a-z0-9.\-]+$")
FILE_URI = re.compile(r"^https?://[^/]+/(?:v1|v1beta|v1alpha|v1main)/files/([a-z0-9-]{1,40})$")


class ApiError(Exception):
    """An error the way Google APIs return it: HTTP code plus {"error": {code, message, status}}."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")

    def body(self) -> JSON:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def invalid(message: str) -> ApiError:
    return ApiError(400, message)


def camel_keys(value: Any) -> Any:
    """The same structure with every dict key in camelCase (the SDK mixes both spellings)."""
    if isinstance(value, dict):
        return {_camel(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def parse_json_body(raw: bytes) -> JSON:
    try:
        body = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"Invalid JSON payload received. {exc}") from None
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    return camel_keys(body)  # type: ignore[no-any-return]


@dataclass
class Media:
    """One media part of a request."""

    kind: str  # "file" (Files API), "gcs" (gs://), "inline" (base64 bytes)
    uri: str
    mime_type: str | None
    data: bytes | None = None
    fps: float = 1.0
    start_s: float = 0.0
    end_s: float | None = None
    resolution: str | None = None  # per-part media resolution (Gemini 3)


@dataclass
class ModelRequest:
    mode: str  # "developer" | "vertex"
    model: str
    stream: bool
    media: list[Media]
    prompt_chars: int
    generation_config: JSON = field(default_factory=dict)


def parse_request(body: JSON, mode: str, model: str, stream: bool) -> ModelRequest:
    """Validate a generateContent body (keys already camelCase) as strictly as the real API."""
    if not MODEL_NAME.match(model):
        raise ApiError(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent. Call ListModels to see the list of available models and their "
            "supported methods.",
        )
    contents = body.get("contents")
    if not contents or not isinstance(contents, list):
        raise invalid("* GenerateContentRequest.contents: contents is not specified")
    media: list[Media] = []
    prompt_chars = _text_chars(body.get("systemInstruction"))
    for content in contents:
        parts = content.get("parts") if isinstance(content, dict) else None
        if not parts or not isinstance(parts, list):
            raise invalid(
                "* GenerateContentRequest.contents[].parts: contents.parts must not be empty"
            )
        for part in parts:
            if not isinstance(part, dict):
                raise invalid("Invalid JSON payload received. Part must be an object.")
            prompt_chars += len(str(part.get("text", "")))
            found = _media_of(part, mode)
            if found:
                media.append(found)
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise invalid("Invalid JSON payload received. generationConfig must be an object.")
    check_generation_config(config, model)
    return ModelRequest(mode, model, stream, media, prompt_chars, config)


def _text_chars(content: Any) -> int:
    if not isinstance(content, dict):
        return len(content) if isinstance(content, str) else 0
    return sum(
        len(str(p.get("text", ""))) for p in content.get("parts") or [] if isinstance(p, dict)
    )


def _media_of(part: JSON, mode: str) -> Media | None:
    file_data, inline = part.get("fileData"), part.get("inlineData")
    if file_data is None and inline is None:
        return None
    if not isinstance(file_data or inline, dict):
        raise invalid("Invalid JSON payload received. file_data / inline_data must be objects.")
    if isinstance(inline, dict):
        try:
            data = base64.b64decode(str(inline.get("data", "")), validate=True)
        except ValueError:
            raise invalid(
                "Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), "
                "Base64 decoding failed"
            ) from None
        found = Media("inline", "", _mime(inline.get("mimeType"), required=True), data)
    else:
        found = _file_media(file_data or {}, mode)
    _apply_video_metadata(found, part.get("videoMetadata"))
    resolution = part.get("mediaResolution")
    if isinstance(resolution, dict):
        resolution = resolution.get("level")
    if resolution is not None:
        check_resolution(str(resolution))
        found.resolution = str(resolution)
    return found


def _file_media(file_data: JSON, mode: str) -> Media:
    uri = str(file_data.get("fileUri") or "")
    if not uri:
        raise invalid(
            "* GenerateContentRequest.contents[].parts[].file_data.file_uri: "
            "file_uri is not specified"
        )
    mime = file_data.get("mimeType")
    if uri.startswith("gs://"):
        if mode == "developer":
            raise invalid(
                f"Invalid or unsupported file uri: {uri}. The Gemini Developer API "
                "does not read gs:// URIs; upload the file with the Files API."
            )
        if not re.match(r"^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/.+", uri):
            raise invalid(f"Invalid Cloud Storage URI: {uri}")
        return Media("gcs", uri, _mime(mime, required=True))
    if mode == "vertex" or not FILE_URI.match(uri):
        raise invalid(f"Invalid or unsupported file uri: {uri}")
    return Media("file", uri, _mime(mime, required=False))


def _mime(value: Any, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise invalid("Please provide mime type for the media part (mime_type is empty).")
        return None
    mime = str(value).lower()
    check_mime(mime)
    return mime


def check_mime(mime: str) -> None:
    if mime not in SUPPORTED_MIME_TYPES:
        raise invalid(f"Unsupported MIME type: {mime}")


def check_resolution(value: str) -> None:
    if value not in MEDIA_RESOLUTIONS:
        raise invalid(
            f"Invalid value at 'media_resolution' (type.googleapis.com/"
            f'google.ai.generativelanguage.MediaResolution), "{value}"'
        )


def _apply_video_metadata(media: Media, meta: Any) -> None:
    if not isinstance(meta, dict):
        return
    if "fps" in meta:
        fps = _number(meta["fps"], "video_metadata.fps")
        if not 0 < fps <= 24:
            raise invalid(f"video_metadata.fps must be in the range (0.0, 24.0], got {fps}.")
        media.fps = fps
    media.start_s = _offset(meta.get("startOffset"), "start_offset") or 0.0
    media.end_s = _offset(meta.get("endOffset"), "end_offset")
    if media.end_s is not None and media.end_s <= media.start_s:
        raise invalid("video_metadata.end_offset must be greater than start_offset.")


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid value for {name}: {value!r}") from None


def _offset(value: Any, name: str) -> float | None:
    """A google.protobuf.Duration in JSON: "1800s", "1.5s"."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d{1,9})?)s", str(value))
    if not match:
        raise invalid(
            f"Invalid value at 'video_metadata.{name}' (type.googleapis.com/"
            f'google.protobuf.Duration), "{value}"'
        )
    return float(match.group(1))


def check_generation_config(config: JSON, model: str) -> None:
    max_out = config.get("maxOutputTokens")
    if (
        max_out is not None
        and not 1 <= int(_number(max_out, "max_output_tokens")) <= MAX_OUTPUT_TOKENS
    ):
        raise invalid(
            f"Unable to submit request because it has a maxOutputTokens value of "
            f"{max_out} but the supported range is from 1 (inclusive) to "
            f"{MAX_OUTPUT_TOKENS + 1} (exclusive). Update the value and try again."
        )
    for name, low, high in (("temperature", 0.0, 2.0), ("topP", 0.0, 1.0)):
        if name in config and not low <= _number(config[name], name) <= high:
            raise invalid(f"{name} must be in the range [{low}, {high}].")
    if "mediaResolution" in config:
        check_resolution(str(config["mediaResolution"]))
    _check_thinking(config.get("thinkingConfig"), model)


def _check_thinking(thinking: Any, model: str) -> None:
    if not isinstance(thinking, dict):
        return
    level, budget = thinking.get("thinkingLevel"), thinking.get("thinkingBudget")
    if level is not None and budget is not None:
        raise invalid("You can only set only one of thinking budget and thinking level.")
    if level is not None:
        if not is_gemini3(model):
            raise invalid("Thinking level is not supported for this model.")
        if str(level).upper() not in THINKING_LEVELS:
            raise invalid(f"Invalid thinking level: {level}")
    if budget is not None and not -1 <= int(_number(budget, "thinking_budget")) <= 32_768:
        raise invalid(
            f"The thinking budget {budget} is invalid. Please choose a value between -1 and 32768."
        )


def is_gemini3(model: str) -> bool:
    return model.startswith("gemini-3")


@dataclass(frozen=True)
class Usage:
    prompt: int
    details: list[JSON]
    thoughts: int

    def metadata(self, candidates: int | None) -> JSON:
        """usageMetadata; candidates None for a chunk that is not the last one."""
        meta: JSON = {"promptTokenCount": self.prompt, "promptTokensDetails": self.details}
        total = self.prompt
        if candidates is not None:
            meta["candidatesTokenCount"] = candidates
            total += candidates
            if self.thoughts:
                meta["thoughtsTokenCount"] = self.thoughts
                total += self.thoughts
        meta["totalTokenCount"] = total
        return meta


def estimate_usage(request: ModelRequest, duration_s: float, has_video: bool) -> Usage:
    """Input tokens as Gemini counts them: audio per second, frames per fps x tokens per frame."""
    text = math.ceil(request.prompt_chars / 4)
    audio = video = 0
    for media in request.media:
        seconds = _clip(duration_s, media)
        audio += round(seconds * AUDIO_TOKENS_PER_S)
        if has_video and (media.mime_type or "video/").startswith("video/"):
            resolution = media.resolution or request.generation_config.get("mediaResolution")
            frames = max(1, math.ceil(seconds * media.fps))
            video += frames * tokens_per_frame(request.model, resolution)
    details = [{"modality": "TEXT", "tokenCount": text}]
    details += [{"modality": "VIDEO", "tokenCount": video}] if video else []
    details += [{"modality": "AUDIO", "tokenCount": audio}] if audio else []
    return Usage(text + audio + video, details, thoughts_tokens(request.generation_config))


def _clip(duration_s: float, media: Media) -> float:
    end = duration_s if media.end_s is None else min(media.end_s, duration_s)
    return max(0.0, end - media.start_s)


def tokens_per_frame(model: str, resolution: Any) -> int:
    """Gemini 3: 70 per frame (280 at high); Gemini 2.x: 258 (66 at low)."""
    level = str(resolution or "MEDIA_RESOLUTION_UNSPECIFIED")
    if is_gemini3(model):
        return 280 if level in ("MEDIA_RESOLUTION_HIGH", "MEDIA_RESOLUTION_ULTRA_HIGH") else 70
    return 66 if level == "MEDIA_RESOLUTION_LOW" else 258


_LEVEL_THOUGHTS = {"MINIMAL": 64, "LOW": 256, "MEDIUM": 512, "HIGH": 1024}


def thoughts_tokens(config: JSON) -> int:
    """A plausible thinking spend when thinking is configured (0 when it is off)."""
    thinking = config.get("thinkingConfig")
    if not isinstance(thinking, dict):
        return 0
    if thinking.get("thinkingLevel") is not None:
        return _LEVEL_THOUGHTS.get(str(thinking["thinkingLevel"]).upper(), 512)
    budget = int(thinking.get("thinkingBudget", -1))
    return 512 if budget < 0 else min(budget, 1024)


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)
