"""Fault injection: a queue of fault specs, one consumed per model call (docs/standin.md)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)
PROMPT_BLOCK_REASONS = frozenset(
    {"SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"}
)


@dataclass(frozen=True)
class Fault:
    """What goes wrong on a model call. Fields left None do nothing."""

    status: int | None = None  # whole call fails with this HTTP code (429, 500, 503, 504, 400…)
    error_after_chars: int | None = None  # stream an {"error"} event after N characters
    error_status: int = 503  # HTTP-style code of that mid-stream error
    max_tokens_after_chars: int | None = None  # finishReason MAX_TOKENS after N characters
    safety_after_chars: int | None = None  # finishReason SAFETY after N characters
    drop_after_chars: int | None = None  # close the stream after N characters, no finishReason
    prompt_block: str | None = None  # promptFeedback.blockReason, no candidates
    malformed: bool = False  # prose instead of the tables
    first_byte_delay_s: float = 0.0  # delay before the response starts
    token_rate: float | None = None  # output tokens per second for this call (0 = no delay)
    times: int | None = None  # how many model calls this applies to; None = every call

    def applied(self) -> dict[str, Any]:
        defaults = Fault()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "times" and getattr(self, f.name) != getattr(defaults, f.name)
        }


def fault_from_dict(data: dict[str, Any]) -> Fault:
    known = {f.name for f in fields(Fault)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}; known: {sorted(known)}")
    fault = Fault(**data)
    if fault.status is not None and not 400 <= fault.status <= 599:
        raise ValueError("status must be an HTTP error code (400-599)")
    if fault.prompt_block is not None and fault.prompt_block not in PROMPT_BLOCK_REASONS:
        raise ValueError(f"prompt_block must be one of {sorted(PROMPT_BLOCK_REASONS)}")
    if fault.times is not None and fault.times < 1:
        raise ValueError("times must be at least 1 (or null for every call)")
    return fault


class FaultQueue:
    """Configured faults in order; each model call takes the head and uses up one of its `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[list[Any]] = []  # [fault, remaining or None]

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._queue = [[f, f.times] for f in faults]

    def take(self) -> Fault:
        with self._lock:
            if not self._queue:
                return Fault()
            head = self._queue[0]
            if head[1] is not None:
                head[1] -= 1
                if head[1] <= 0:
                    self._queue.pop(0)
            return head[0]  # type: ignore[no-any-return]

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**asdict(f), "remaining": left} for f, left in self._queue]
