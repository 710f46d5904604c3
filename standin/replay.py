"""Turn an authored response (plus faults) into the GenerateContentResponse chunks Gemini sends."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standin.cutoff import loop_text, row_end
from standin.errors import ApiError, invalid
from standin.faults import SAFETY_CATEGORIES, Fault, injected_error
from standin.pacing import Pace
from standin.protocol import JSON, MAX_INPUT_TOKENS, ModelRequest, Usage, text_tokens

MALFORMED_TEXT = (
    "Sure! Here is a summary of the recording instead of the tables you asked for.\n\n"
    "**Speakers:** a host and several guests | roughly 00:00 to the end\n"
    "- The host opens the show; guests talk about their work.\n"
    '{"segments": [{"start": "00:0'
)
THOUGHT_SUMMARY = (
    "**Mapping the voices**\n\nI am listening for distinct voices, matching each to on-screen "
    "names and introductions, and writing one row per segment."
)


@dataclass
class Plan:
    """The events of one response: (seconds to wait before it, JSON payload)."""

    events: list[tuple[float, JSON]] = field(default_factory=list)
    finish: str | None = None
    error: ApiError | None = None
    chars: int = 0
    usage: JSON = field(default_factory=dict)
    garbled: bool = False  # end with a data line that is not JSON (an SSE line the SDK rejects)
    cutoff: JSON = field(default_factory=dict)  # the rows a loop / cut-at-row fault took


def plan_response(
    request: ModelRequest, answer: str, usage: Usage, fault: Fault, pace: Pace
) -> Plan:
    """The events answering `request` with the text `answer`, as paced and as faults make it."""
    plan = _plan(request, answer, usage, fault, pace)
    if plan.events:  # the first byte waits for the model's first token
        delay, event = plan.events[0]
        plan.events[0] = (delay + pace.first_token_s / pace.scale, event)
    return plan


def _plan(request: ModelRequest, answer: str, usage: Usage, fault: Fault, pace: Pace) -> Plan:
    if usage.prompt > MAX_INPUT_TOKENS:
        raise invalid(
            f"The input token count ({usage.prompt}) exceeds the maximum number of tokens "
            f"allowed ({MAX_INPUT_TOKENS})."
        )
    envelope = _envelope(request)
    if fault.prompt_block:
        body = {"promptFeedback": {"blockReason": fault.prompt_block}, **envelope}
        body["usageMetadata"] = usage.metadata(None)
        return Plan([(0.0, body)], usage=body["usageMetadata"])
    text = MALFORMED_TEXT if fault.malformed else answer
    limit = output_chars(request, usage.thoughts)
    cutoff: JSON = {}
    if fault.loop_from_row is not None:
        text, cutoff["loop_row"] = loop_text(
            text, fault.loop_from_row, limit, fault.loop_rows, fault.loop_cycle or 1
        )
    after_row = None  # characters up to the end of the row a MAX_TOKENS cut follows
    if fault.max_tokens_at_row is not None:
        found = row_end(text, fault.max_tokens_at_row)
        after_row, cutoff["max_tokens_at_row"] = found or (None, None)
    max_tokens_at = (fault.max_tokens_after_chars, after_row, limit)
    cut, finish, error = _cut(text, fault, request, max_tokens_at)
    sent = text[:cut]
    plan = Plan(finish=finish, error=error, chars=len(sent), cutoff=cutoff)
    thought = _thought_part(request, usage)
    signature = _signature() if request.model.generation >= 3 else None
    size = max(1, pace.chunk_chars)
    pieces = [sent[i : i + size] for i in range(0, len(sent), size)]
    for number, piece in enumerate(pieces):
        first = number == 0
        parts = ([thought] if thought and first else []) + [{"text": piece}]
        if signature and first and not pace.signature_part:
            parts[-1]["thoughtSignature"] = signature
        chunk = _chunk(envelope, parts, usage.metadata(None))
        plan.events.append((pace.chunk_delay(len(piece)), chunk))
    if error is not None:
        plan.events.append((0.0, error.body()))
        return plan
    if finish is None:  # dropped: the connection closes with no finishReason and no usage
        plan.garbled = fault.garbled_after_chars is not None and fault.garbled_after_chars == cut
        return plan
    plan.usage = usage.metadata(text_tokens(sent))
    _finish(plan, envelope, finish or "STOP", thought if not pieces else None)
    if signature and (pace.signature_part or not pieces):
        _add_signature_part(plan, signature)
    return plan


def _signature() -> str:
    """An opaque thoughtSignature (base64), as Gemini 3 puts on its parts when it thought."""
    return base64.b64encode(b"standin-signature:" + secrets.token_bytes(24)).decode()


def _add_signature_part(plan: Plan, signature: str) -> None:
    """The signature alone in an empty-text part of the last chunk, as the service sometimes
    sends it."""
    candidate = plan.events[-1][1]["candidates"][0]
    content = candidate.setdefault("content", {"parts": [], "role": "model"})
    content["parts"].append({"text": "", "thoughtSignature": signature})


def _envelope(request: ModelRequest) -> JSON:
    envelope: JSON = {"modelVersion": request.model.id, "responseId": secrets.token_urlsafe(16)}
    if request.mode == "vertex":
        envelope["createTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return envelope


def output_chars(request: ModelRequest, thoughts: int) -> int:
    """The most text an answer can have: the request's maxOutputTokens, else the model's max
    output, less the thinking tokens (which count against it), 4 characters a token."""
    limit = request.generation_config.get("maxOutputTokens") or request.model.max_output_tokens
    return max(0, int(limit) - thoughts) * 4


def _cut(
    text: str, fault: Fault, request: ModelRequest, max_tokens_at: tuple[int | None, ...]
) -> tuple[int, str | None, ApiError | None]:
    """Where the text stops and why: (characters sent, finishReason, mid-stream error); neither
    a finishReason nor an error means the connection just closes. `max_tokens_at`: where
    MAX_TOKENS would cut (an injected point, the end of a row, the output limit)."""
    cuts = [(at, "MAX_TOKENS") for at in max_tokens_at if at is not None and at < len(text)]
    if fault.safety_after_chars is not None:
        cuts.append((min(fault.safety_after_chars, len(text)), "SAFETY"))
    if fault.error_after_chars is not None:
        cuts.append((min(fault.error_after_chars, len(text)), "ERROR"))
    if fault.drop_after_chars is not None:
        cuts.append((min(fault.drop_after_chars, len(text)), "DROP"))
    if fault.garbled_after_chars is not None:
        cuts.append((min(fault.garbled_after_chars, len(text)), "GARBLED"))
    if not cuts:
        return len(text), "STOP", None
    at, reason = min(cuts, key=lambda c: (c[0], c[1] not in ("ERROR", "DROP", "GARBLED")))
    if reason in ("DROP", "GARBLED"):
        return at, None, None
    if reason == "ERROR":
        error = injected_error(fault.error_status, fault, request.model.id, request.location)
        return at, None, error
    return at, reason, None


def _thought_part(request: ModelRequest, usage: Usage) -> JSON | None:
    thinking = request.generation_config.get("thinkingConfig") or {}
    if usage.thoughts and isinstance(thinking, dict) and thinking.get("includeThoughts"):
        return {"text": THOUGHT_SUMMARY, "thought": True}
    return None


def _chunk(envelope: JSON, parts: list[JSON], usage: JSON) -> JSON:
    candidate = {"content": {"parts": parts, "role": "model"}, "index": 0}
    return {"candidates": [candidate], "usageMetadata": usage, **envelope}


def _finish(plan: Plan, envelope: JSON, reason: str, thought: JSON | None) -> None:
    """Put finishReason and the full usage on the last chunk (a new one for SAFETY or no text)."""
    if reason == "SAFETY" or not plan.events:
        parts = [thought] if thought else []
        candidate: JSON = {"index": 0}
        if parts:
            candidate["content"] = {"parts": parts, "role": "model"}
        plan.events.append((0.0, {"candidates": [candidate], **envelope}))
    last = plan.events[-1][1]
    candidate = last["candidates"][0]
    candidate["finishReason"] = reason
    if reason == "SAFETY":
        candidate["safetyRatings"] = _safety_ratings()
    last["usageMetadata"] = plan.usage


def _safety_ratings() -> list[JSON]:
    ratings: list[JSON] = [{"category": c, "probability": "NEGLIGIBLE"} for c in SAFETY_CATEGORIES]
    ratings[1] = {"category": SAFETY_CATEGORIES[1], "probability": "HIGH", "blocked": True}
    return ratings


def answer_chars(event: JSON) -> int:
    """Characters of answer text in one event (a thought summary is not the answer)."""
    candidates = event.get("candidates") or [{}]
    parts = candidates[0].get("content", {}).get("parts", [])
    return sum(len(part.get("text", "")) for part in parts if not part.get("thought"))


def merge(plan: Plan) -> JSON:
    """The non-streaming response: every chunk's parts joined into one candidate."""
    if plan.error is not None:
        raise plan.error
    first = plan.events[0][1]
    if "promptFeedback" in first:
        return first
    last = dict(plan.events[-1][1])
    candidate: dict[str, Any] = dict(last["candidates"][0])
    thoughts: list[JSON] = []
    answer: JSON = {"text": ""}
    for _, event in plan.events:
        for part in event["candidates"][0].get("content", {}).get("parts", []):
            if part.get("thought"):
                thoughts.append(part)
            else:
                answer["text"] += part["text"]
                if "thoughtSignature" in part:
                    answer.setdefault("thoughtSignature", part["thoughtSignature"])
    parts = thoughts + ([answer] if len(answer) > 1 or answer["text"] else [])
    candidate.pop("content", None)
    if parts:
        candidate["content"] = {"parts": parts, "role": "model"}
    last["candidates"] = [candidate]
    return last
