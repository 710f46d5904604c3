"""Gemini through google-genai: the client (Vertex AI or Developer API), the request, the stream.

Errors are sorted into transient (retry with backoff inside the time budget, then let the
platform retry) and terminal (record once, never retry).
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import httpx2
from google import genai
from google.genai import errors, types

from functions.core.settings import Settings
from functions.transcribe.plan import Plan

# The SDK's HTTP transport is httpx2; its transport errors (and plain socket errors) are transient.
TRANSPORT_ERRORS = (httpx2.TransportError, ConnectionError)
TRANSIENT_CODES = frozenset({408, 429, 500, 502, 503, 504})
SERVER_GRACE_S = 60  # the server's deadline trails the client's by this much
BLOCKED_FINISH = frozenset(
    {"SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "RECITATION", "IMAGE_SAFETY"}
)
_RESOLUTIONS = {
    "low": types.MediaResolution.MEDIA_RESOLUTION_LOW,
    "medium": types.MediaResolution.MEDIA_RESOLUTION_MEDIUM,
    "high": types.MediaResolution.MEDIA_RESOLUTION_HIGH,
}


class TransientError(Exception):
    """Worth retrying: rate limits, server errors, broken connections."""


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
    usage: dict[str, int] = field(default_factory=dict)


def client(settings: Settings) -> genai.Client:
    """One client per instance and configuration."""
    return _client(
        settings.gemini_mode,
        settings.gemini_api_key,
        settings.gemini_base_url,
        settings.project,
        settings.location,
    )


@cache
def _client(mode: str, api_key: str, base_url: str, project: str, location: str) -> genai.Client:
    """A local base URL (the stand-in) gets a placeholder token instead of real credentials."""
    options = types.HttpOptions(base_url=base_url or None)
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
        if exc.code in TRANSIENT_CODES:
            return TransientError(detail)
        return TerminalError("failed", detail)
    if isinstance(exc, TRANSPORT_ERRORS):
        return TransientError(f"connection to Gemini failed: {type(exc).__name__}: {exc}")
    raise exc


def media_part(uri: str, mime_type: str, plan: Plan) -> types.Part:
    """The media, first in the request; segment offsets and frame rate as video metadata."""
    metadata = None
    if plan.start_s is not None or plan.end_s is not None or plan.fps is not None:
        metadata = types.VideoMetadata(
            start_offset=None if plan.start_s is None else f"{plan.start_s:g}s",
            end_offset=None if plan.end_s is None else f"{plan.end_s:g}s",
            fps=plan.fps,
        )
    return types.Part(
        file_data=types.FileData(file_uri=uri, mime_type=mime_type), video_metadata=metadata
    )


def generation_config(plan: Plan) -> types.GenerateContentConfig:
    thinking = None
    if plan.thinking_budget is not None:
        thinking = types.ThinkingConfig(thinking_budget=plan.thinking_budget)
    elif plan.thinking_level is not None:
        thinking = types.ThinkingConfig(
            thinking_level=types.ThinkingLevel(plan.thinking_level.upper())
        )
    return types.GenerateContentConfig(
        temperature=plan.temperature,
        top_p=plan.top_p,
        seed=plan.seed,
        max_output_tokens=plan.max_output_tokens,
        media_resolution=_RESOLUTIONS[plan.media_resolution] if plan.has_video else None,
        thinking_config=thinking,
    )


def stream(
    gemini: genai.Client,
    plan: Plan,
    part: types.Part,
    prompt: str,
    on_text: Callable[[str], None],
    result: StreamResult,
    timeout_s: float,
) -> None:
    """One streamed call: hands every piece of answer text to `on_text` and records in `result`
    how it ended (finish or block reason, usage), even when `on_text` raises. `timeout_s` bounds
    the wait for each response byte (a stalled stream is a transport error: transient)."""
    contents = [types.Content(role="user", parts=[part, types.Part(text=prompt)])]
    config = generation_config(plan)
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
            _read(response, result, on_text)
    except (errors.APIError, *TRANSPORT_ERRORS) as exc:
        raise classify(exc) from exc


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


def _read(
    response: types.GenerateContentResponse, result: StreamResult, on_text: Callable[[str], None]
) -> None:
    if response.prompt_feedback and response.prompt_feedback.block_reason:
        result.block_reason = str(response.prompt_feedback.block_reason.value)
    if response.usage_metadata:
        usage = response.usage_metadata
        result.usage = {
            "prompt_tokens": usage.prompt_token_count or 0,
            "output_tokens": usage.candidates_token_count or 0,
            "thought_tokens": usage.thoughts_token_count or 0,
            "total_tokens": usage.total_token_count or 0,
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


def delete_file(gemini: genai.Client, file: types.File) -> None:
    """Best effort: uploaded files expire after 48 h anyway."""
    with contextlib.suppress(errors.APIError, *TRANSPORT_ERRORS):
        gemini.files.delete(name=file.name or "")
