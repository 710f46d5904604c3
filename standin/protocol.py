"""The Gemini REST vocabulary the stand-in checks: error shapes, request parsing and validation,
and the token arithmetic of usageMetadata (docs/standin.md)."""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from functions.core.catalog import Mode, Model, catalog
from standin.errors import invalid
from standin.rules import (
    ULTRA_HIGH,
    check_max_output,
    check_mime,
    check_part_resolution,
    check_thinking,
    check_ultra_high,
    frame_tokens,
)

JSON = dict[str, Any]

MAX_INPUT_TOKENS = catalog().context_window
MEDIA_RESOLUTIONS = frozenset(
    {
        "MEDIA_RESOLUTION_UNSPECIFIED",
        "MEDIA_RESOLUTION_LOW",
        "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_HIGH",
        "MEDIA_RESOLUTION_ULTRA_HIGH",
    }
)
FILE_URI = re.compile(r"^https?://[^/]+/(?:v1|v1beta|v1alpha|v1main)/files/([a-z0-9-]{1,40})$")


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
    offsets_in: str | None = None  # "video_metadata" or "audio_metadata": where offsets came
    label: str | None = None  # the text part just before this one, if any

    def bounds(self, duration_s: float) -> tuple[float, float]:
        """(start, end) seconds of the media this part covers, within the media's length."""
        end = duration_s if self.end_s is None else min(self.end_s, duration_s)
        return self.start_s, max(self.start_s, end)

    def view(self) -> dict[str, Any]:
        """What the part asked for, as the call log records it."""
        return {
            "mime_type": self.mime_type,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "fps": self.fps,
            "resolution": self.resolution,
            "offsets_in": self.offsets_in,
        }


@dataclass
class ModelRequest:
    mode: Mode
    model: Model
    stream: bool
    media: list[Media]
    prompt_chars: int
    generation_config: JSON = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # per part in order: its text, or ''
    system: str = ""  # the system instruction's text
    location: str = "global"  # Vertex: the location in the path (quota details name it)

    @property
    def instructions(self) -> list[str]:
        """The system instruction's text, then each part's."""
        return [self.system, *self.texts]


def parse_request(body: JSON, mode: Mode, model: Model, stream: bool) -> ModelRequest:
    """Validate a generateContent body (keys already camelCase) as strictly as the real API,
    for a model the caller already found served (rules.served_model)."""
    contents = body.get("contents")
    if not contents or not isinstance(contents, list):
        raise invalid("* GenerateContentRequest.contents: contents is not specified")
    system = _text_of(body.get("systemInstruction"))
    request = ModelRequest(mode, model, stream, [], len(system), system=system)
    for content in contents:
        parts = content.get("parts") if isinstance(content, dict) else None
        if not parts or not isinstance(parts, list):
            raise invalid(
                "* GenerateContentRequest.contents[].parts: contents.parts must not be empty"
            )
        for part in parts:
            _add_part(request, part)
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise invalid("Invalid JSON payload received. generationConfig must be an object.")
    check_generation_config(config, model, request.media)
    request.generation_config = config
    return request


def _add_part(request: ModelRequest, part: Any) -> None:
    if not isinstance(part, dict):
        raise invalid("Invalid JSON payload received. Part must be an object.")
    text = part.get("text")
    request.prompt_chars += len(str(text or ""))
    found = _media_of(part, request.mode, request.model)
    if found:
        found.label = request.texts[-1] if request.texts and request.texts[-1] else None
        request.media.append(found)
    request.texts.append("" if found or text is None else str(text))


def _text_of(content: Any) -> str:
    """The text of a system instruction (a string, or a content's text parts)."""
    if not isinstance(content, dict):
        return content if isinstance(content, str) else ""
    return "".join(
        str(p.get("text", "")) for p in content.get("parts") or [] if isinstance(p, dict)
    )


def _media_of(part: JSON, mode: Mode, model: Model) -> Media | None:
    file_data, inline = part.get("fileData"), part.get("inlineData")
    if file_data is None and inline is None:
        return None
    if not isinstance(file_data or inline, dict):
        raise invalid("Invalid JSON payload received. file_data / inline_data must be objects.")
    if isinstance(inline, dict):
        found = Media("inline", "", _mime(inline.get("mimeType"), mode, True), _bytes(inline))
    else:
        found = _file_media(file_data or {}, mode)
    _apply_video_metadata(found, part.get("videoMetadata"))
    _apply_offsets(found, part.get("audioMetadata"), "audio_metadata")
    resolution = part.get("mediaResolution")
    if isinstance(resolution, dict):
        resolution = resolution.get("level")
    if resolution is not None:
        check_resolution(str(resolution))
        check_part_resolution(model, str(resolution), found.mime_type)
        found.resolution = str(resolution)
    return found


def _bytes(inline: JSON) -> bytes:
    try:
        return base64.b64decode(str(inline.get("data", "")), validate=True)
    except ValueError:
        raise invalid(
            "Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), "
            "Base64 decoding failed"
        ) from None


def _file_media(file_data: JSON, mode: Mode) -> Media:
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
        return Media("gcs", uri, _mime(mime, mode, True))
    if mode == "vertex" or not FILE_URI.match(uri):
        raise invalid(f"Invalid or unsupported file uri: {uri}")
    return Media("file", uri, _mime(mime, mode, False))


def _mime(value: Any, mode: Mode, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise invalid("Please provide mime type for the media part (mime_type is empty).")
        return None
    mime = str(value).lower()
    check_mime(mime, mode)
    return mime


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
    _apply_offsets(media, meta, "video_metadata")


def _apply_offsets(media: Media, meta: Any, where: str) -> None:
    """start/end offsets of videoMetadata or audioMetadata: they clip the counted duration."""
    if not isinstance(meta, dict):
        return
    media.start_s = _offset(meta.get("startOffset"), f"{where}.start_offset") or 0.0
    media.end_s = _offset(meta.get("endOffset"), f"{where}.end_offset")
    if "startOffset" in meta or "endOffset" in meta:
        media.offsets_in = where
    if media.end_s is not None and media.end_s <= media.start_s:
        raise invalid(f"{where}.end_offset must be greater than start_offset.")


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
            f"Invalid value at '{name}' (type.googleapis.com/google.protobuf.Duration), \"{value}\""
        )
    return float(match.group(1))


def check_generation_config(config: JSON, model: Model, media: list[Media]) -> None:
    if config.get("maxOutputTokens") is not None:
        max_out = config["maxOutputTokens"]
        check_max_output(model, _number(max_out, "max_output_tokens"))
    for name, low, high in (("temperature", 0.0, 2.0), ("topP", 0.0, 1.0)):
        if name in config and not low <= _number(config[name], name) <= high:
            raise invalid(f"{name} must be in the range [{low}, {high}].")
    if "mediaResolution" in config:
        level = str(config["mediaResolution"])
        check_resolution(level)
        for found in media if level == ULTRA_HIGH else []:
            if found.resolution is None:
                check_ultra_high(level, found.mime_type)
    thinking = config.get("thinkingConfig")
    if isinstance(thinking, dict):
        budget = thinking.get("thinkingBudget")
        budget = None if budget is None else _number(budget, "thinking_budget")
        check_thinking(model, thinking.get("thinkingLevel"), budget)


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
            meta["cachedContentTokenCount"] = 0  # no context caching here
            total += candidates
            if self.thoughts:
                meta["thoughtsTokenCount"] = self.thoughts
                total += self.thoughts
        meta["totalTokenCount"] = total
        return meta


def estimate_usage(request: ModelRequest, duration_s: float, has_video: bool) -> Usage:
    """Input tokens as the catalog counts them: audio per second, frames x tokens per frame."""
    model = request.model
    text = math.ceil(request.prompt_chars / 4)
    audio = video = 0
    for media in request.media:
        start, end = media.bounds(duration_s)
        seconds = end - start
        audio += round(seconds * model.audio_tokens_per_s)
        if has_video and (media.mime_type or "video/").startswith("video/"):
            resolution = media.resolution or request.generation_config.get("mediaResolution")
            frames = max(1, math.ceil(seconds * media.fps))
            video += frames * frame_tokens(model, resolution)
    details = [{"modality": "TEXT", "tokenCount": text}]
    details += [{"modality": "VIDEO", "tokenCount": video}] if video else []
    details += [{"modality": "AUDIO", "tokenCount": audio}] if audio else []
    return Usage(text + audio + video, details, thoughts_tokens(request.generation_config))


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
    return chars_tokens(len(text))


def chars_tokens(chars: int) -> int:
    """Output tokens of `chars` characters of text (4 characters ≈ 1 token)."""
    return math.ceil(chars / 4)
