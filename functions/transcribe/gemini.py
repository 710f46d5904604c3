"""Gemini through google-genai: the client (Vertex AI or Developer API), the request, the stream.

Errors are sorted into transient (retry with backoff inside the time budget, then let the
platform retry) and terminal (record once, never retry).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx2
from google import genai
from google.genai import errors, types

from functions.core.catalog import MediaPart, Mode, catalog, limit_refusal
from functions.core.settings import Settings
from functions.transcribe.plan import Plan

# The SDK's HTTP transport is httpx2; its transport errors (and plain socket errors) are transient.
TRANSPORT_ERRORS = (httpx2.TransportError, ConnectionError)
TRANSIENT_CODES = frozenset({408, 429, 500, 502, 503, 504})
SERVER_GRACE_S = 60  # the server's deadline trails the client's by this much
BLOCKED_FINISH = frozenset(
    {"SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "RECITATION", "IMAGE_SAFETY"}
)
FILE_LIFETIME = dt.timedelta(hours=48)  # a Files API upload's, when it names no expirationTime
FILE_GONE = frozenset({403, 404})  # files.get of a deleted or expired file: "… may not exist"
# The API version each mode's requests go to, chosen rather than left to the SDK's default
# (decision 0015; google-genai 3.4.0 sends the Developer API to `v1`). Developer: per-part
# `media_resolution` (Gemini 3) is documented on `v1beta`. Vertex: `audioMetadata` (the offsets
# of an audio-only clip) is in the `v1beta1` reference only; the rest is on both.
API_VERSIONS = {"developer": "v1beta", "vertex": "v1beta1"}
_RESOLUTIONS = {
    "low": types.MediaResolution.MEDIA_RESOLUTION_LOW,
    "medium": types.MediaResolution.MEDIA_RESOLUTION_MEDIUM,
    "high": types.MediaResolution.MEDIA_RESOLUTION_HIGH,
}


class TransientError(Exception):
    """Worth retrying: rate limits, server errors, broken connections. `retry_after_s`: the wait
    the service asked for; `in_process` False: leave the retry to the platform (a per-day quota)."""

    def __init__(
        self, message: str, retry_after_s: float | None = None, in_process: bool = True
    ) -> None:
        super().__init__(message)
        self.retry_after_s, self.in_process = retry_after_s, in_process


class TerminalError(Exception):
    """Not worth retrying. `outcome` is `failed` or `blocked`."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


@dataclass
class StreamResult:
    finish_reason: str | None = None
    block_reason: str | None = None
    model_version: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)


def client(settings: Settings, location: str | None = None) -> genai.Client:
    """One client per instance and configuration; `location`: the plan's Vertex location."""
    return _client(
        settings.gemini_mode,
        settings.gemini_api_key,
        settings.gemini_base_url,
        settings.project,
        location or settings.location,
    )


@cache
def _client(mode: str, api_key: str, base_url: str, project: str, location: str) -> genai.Client:
    """A local base URL (the stand-in) gets a placeholder token instead of real credentials."""
    options = types.HttpOptions(base_url=base_url or None, api_version=API_VERSIONS[mode])
    if mode == "developer":
        return genai.Client(api_key=api_key, http_options=options)
    credentials = None
    if base_url.startswith(("http://127.", "http://localhost")):
        from google.oauth2.credentials import Credentials

        credentials = Credentials(token="local-stand-in")  # type: ignore[no-untyped-call]
    return genai.Client(
        vertexai=True,
        project=project,
        location=location,
        credentials=credentials,
        http_options=options,
    )


def classify(exc: BaseException) -> Exception:
    """The TransientError or TerminalError an SDK or transport exception stands for."""
    if isinstance(exc, errors.APIError):
        detail = f"Gemini API error {exc.code} {exc.status or ''}: {exc.message or ''}".strip()
        if exc.code == 429:
            return _quota_error(detail, exc.details)
        if exc.code in TRANSIENT_CODES:
            return TransientError(detail)
        return TerminalError("failed", detail)
    if isinstance(exc, TRANSPORT_ERRORS):
        return TransientError(f"connection to Gemini failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, errors.UnknownApiResponseError):  # a malformed stream line
        return TransientError(f"Gemini sent a response it could not parse: {exc}")
    raise exc


def _quota_error(detail: str, body: object) -> TransientError:
    """A 429: wait as long as its RetryInfo says; a per-day quota is not worth waiting for here."""
    entries = ((body or {}).get("error") or {}).get("details") if isinstance(body, dict) else None
    retry_after, daily = None, False
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        delay = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(entry.get("retryDelay", "")))
        if delay:
            retry_after = float(delay.group(1))
        for violation in entry.get("violations") or []:
            daily = daily or "PerDay" in str((violation or {}).get("quotaId", ""))
    if daily:
        return TransientError(f"{detail} (a per-day quota)", in_process=False)
    return TransientError(detail, retry_after_s=retry_after)


def media_part(uri: str, plan: Plan) -> types.Part:
    """The media, first in the request: offsets as video or audio metadata, the frame rate, and
    on Gemini 3 the media resolution of this part."""
    offsets: dict[str, str | None] = {}
    if plan.start_s is not None or plan.end_s is not None:
        offsets = {
            "start_offset": None if plan.start_s is None else f"{plan.start_s:g}s",
            "end_offset": None if plan.end_s is None else f"{plan.end_s:g}s",
        }
    video = audio = None
    if plan.has_video and (offsets or plan.fps is not None):
        video = types.VideoMetadata(**offsets, fps=plan.fps)
    elif not plan.has_video and offsets:
        audio = types.AudioMetadata(**offsets)
    resolution = None
    if plan.has_video and plan.generation >= 3:
        level = types.PartMediaResolutionLevel(_RESOLUTIONS[plan.media_resolution].value)
        resolution = types.PartMediaResolution(level=level)
    return types.Part(
        file_data=types.FileData(file_uri=uri, mime_type=plan.mime_type),
        video_metadata=video,
        audio_metadata=audio,
        media_resolution=resolution,
    )


def generation_config(plan: Plan, mode: str) -> types.GenerateContentConfig:
    """Sampling, output budget and thinking from the plan; the media resolution here on 2.x only
    (Gemini 3 takes it per part); timestamps for audio-only input on Vertex (not for text)."""
    thinking = None
    if plan.thinking_budget is not None:
        thinking = types.ThinkingConfig(thinking_budget=plan.thinking_budget)
    elif plan.thinking_level is not None:
        thinking = types.ThinkingConfig(thinking_level=types.ThinkingLevel(plan.thinking_level))
    whole_request_resolution = plan.has_video and plan.generation == 2
    return types.GenerateContentConfig(
        temperature=plan.temperature,
        top_p=plan.top_p,
        seed=plan.seed,
        max_output_tokens=plan.max_output_tokens,
        media_resolution=_RESOLUTIONS[plan.media_resolution] if whole_request_resolution else None,
        thinking_config=thinking,
        audio_timestamp=True
        if mode == "vertex" and plan.has_audio and not plan.has_video
        else None,
    )


def parts(uri: str, plan: Plan, prompt: str) -> list[types.Part]:
    """The request: the media, then the instructions."""
    return [media_part(uri, plan), types.Part(text=prompt)]


def stream(
    gemini: genai.Client,
    plan: Plan,
    parts: list[types.Part],
    on_text: Callable[[str], None],
    result: StreamResult,
    timeout_s: float,
) -> None:
    """One streamed call: hands every piece of answer text to `on_text` and records in `result`
    how it ended (finish or block reason, usage), even when `on_text` raises. `timeout_s` bounds
    the wait for each response byte (a stalled stream is a transport error: transient)."""
    mode: Mode = "vertex" if gemini.vertexai else "developer"
    check_limits(mode, plan, parts)
    contents = [types.Content(role="user", parts=parts)]
    config = generation_config(plan, mode)
    config.http_options = types.HttpOptions(
        timeout=max(1000, int(timeout_s * 1000)),
        # The SDK would also ask the server to stop at `timeout_s`; a later server deadline lets
        # our own budget check end the stream first and keep what was written.
        headers={"X-Server-Timeout": str(math.ceil(timeout_s) + SERVER_GRACE_S)},
    )
    try:
        for response in gemini.models.generate_content_stream(
            model=plan.model, contents=contents, config=config
        ):
            read(response, result, on_text)
    except errors.APIError as exc:
        if exc.code == 404:  # the model, or the model at this location
            raise TerminalError("failed", _not_served(plan, exc)) from exc
        raise classify(exc) from exc
    except (errors.UnknownApiResponseError, *TRANSPORT_ERRORS) as exc:
        raise classify(exc) from exc


def check_limits(mode: Mode, plan: Plan, parts: Sequence[types.Part]) -> None:
    """A request the service would refuse for its limits is never sent: `TerminalError`."""
    model = catalog().get(plan.model)
    refusal = model and limit_refusal(model, mode, media_parts(plan, parts))
    if refusal:
        raise TerminalError("failed", f"request not sent: {refusal}")


def media_parts(plan: Plan, parts: Sequence[types.Part]) -> list[MediaPart]:
    """The request's media parts as the limits count them: kind, and the seconds each covers
    (its offsets, else to the end of the plan's range; None when the length is unknown)."""
    media_end = None if plan.duration_s is None else (plan.start_s or 0) + plan.duration_s
    found = []
    for part in parts:
        if part.file_data is None:
            continue
        meta = part.video_metadata or part.audio_metadata
        start = _seconds(meta.start_offset if meta else None) or 0.0
        end = _seconds(meta.end_offset if meta else None) or media_end
        video = (part.file_data.mime_type or "").startswith("video/")
        seconds = None if end is None else end - start
        found.append(MediaPart("video" if video else "audio", seconds, plan.has_audio))
    return found


def _seconds(offset: str | None) -> float | None:
    return None if offset is None else float(offset.removesuffix("s"))


def _not_served(plan: Plan, exc: errors.APIError) -> str:
    where = f" at Vertex location {plan.location}" if plan.location else ""
    return (
        f"model {plan.model!r} is not served{where} (Gemini API error 404: {exc.message}); "
        "set TABSCRIBE_MODEL, or the upload's `model` metadata, to a served model "
        "(python -m functions models lists them)"
    )


def outcome(result: StreamResult) -> tuple[str, str | None]:
    """(outcome, reason) of a finished stream; a stream that just stopped is transient."""
    if result.block_reason:
        return "blocked", f"the prompt was blocked: {result.block_reason}"
    if result.finish_reason in BLOCKED_FINISH:
        return "blocked", f"the response was blocked: {result.finish_reason}"
    if result.finish_reason == "STOP":
        return "completed", None
    if result.finish_reason == "MAX_TOKENS":
        return "completed", "the model reached its output token limit; the transcript is cut off"
    if result.finish_reason is None:
        raise TransientError("the stream ended without a finish reason")
    return "failed", f"the model stopped with finish reason {result.finish_reason}"


def read(
    response: types.GenerateContentResponse, result: StreamResult, on_text: Callable[[str], None]
) -> None:
    """One response (a stream's piece, or a batch job's whole answer) into `result` and
    `on_text`."""
    if response.prompt_feedback and response.prompt_feedback.block_reason:
        result.block_reason = str(response.prompt_feedback.block_reason.value)
    if response.usage_metadata:
        usage = response.usage_metadata
        result.usage = {
            "prompt_tokens": usage.prompt_token_count or 0,
            "output_tokens": usage.candidates_token_count or 0,
            "thought_tokens": usage.thoughts_token_count or 0,
            "total_tokens": usage.total_token_count or 0,
            "cached_tokens": usage.cached_content_token_count or 0,
            "prompt_by_modality": {
                str(d.modality.value): d.token_count or 0
                for d in usage.prompt_tokens_details or []
                if d.modality is not None
            },
        }
    result.model_version = response.model_version or result.model_version
    for candidate in response.candidates or []:
        if candidate.finish_reason:
            result.finish_reason = str(candidate.finish_reason.value)
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        for part in parts:
            if part.text and not part.thought:
                on_text(part.text)
        break  # one candidate asked for


def upload(
    gemini: genai.Client, reader: io.IOBase, mime_type: str, name: str, deadline: float
) -> types.File:
    """Developer API: stream the object into the Files API and wait until it is ACTIVE."""
    try:
        file = gemini.files.upload(
            file=reader, config=types.UploadFileConfig(mime_type=mime_type, display_name=name[:100])
        )
        while file.state == types.FileState.PROCESSING:
            if time.monotonic() > deadline:
                raise TransientError("the Files API is still processing the upload")
            time.sleep(1.0)
            file = gemini.files.get(name=file.name or "")
    except (errors.APIError, *TRANSPORT_ERRORS) as exc:
        raise classify(exc) from exc
    if file.state != types.FileState.ACTIVE:
        detail = file.error.message if file.error else str(file.state)
        raise TerminalError("failed", f"the Files API could not process the media: {detail}")
    return file


def is_active(gemini: genai.Client, name: str) -> bool:
    """Whether the Files API still has file `name`, ACTIVE (False: deleted, expired or FAILED)."""
    try:
        return gemini.files.get(name=name).state == types.FileState.ACTIVE
    except errors.APIError as exc:
        if exc.code in FILE_GONE:
            return False
        raise classify(exc) from exc
    except TRANSPORT_ERRORS as exc:
        raise classify(exc) from exc


def delete_file(gemini: genai.Client, name: str) -> None:
    """Best effort: uploaded files expire after 48 h anyway."""
    with contextlib.suppress(errors.APIError, *TRANSPORT_ERRORS):
        gemini.files.delete(name=name)
