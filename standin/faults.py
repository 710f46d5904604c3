"""Fault injection: a queue of fault specs, one consumed per model call (docs/standin.md)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

from standin.clips import CLIP_TIMECODES
from standin.enrichment import TRANSLATION_FAULTS
from standin.errors import TRANSIENT_MESSAGES, ApiError

SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)
PROMPT_BLOCK_REASONS = frozenset(
    {"SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"}
)
ROW_COUNTS = (  # 1, 2, …
    "max_tokens_at_row",
    "loop_from_row",
    "loop_rows",
    "loop_cycle",
    "timecodes_past_end",
)


@dataclass(frozen=True)
class Fault:
    """What goes wrong on a model call. Fields left None do nothing."""

    status: int | None = None  # whole call fails with this HTTP code (429, 500, 503, 504, 400…)
    error_after_chars: int | None = None  # stream an {"error"} event after N characters
    error_status: int = 503  # HTTP-style code of that mid-stream error
    max_tokens_after_chars: int | None = None  # finishReason MAX_TOKENS after N characters
    max_tokens_at_row: int | None = None  # finishReason MAX_TOKENS right after row N's line
    loop_from_row: int | None = None  # row N's line again and again to the output limit
    loop_rows: int | None = None  # with loop_from_row: N repeats, then the rest of the answer
    loop_cycle: int | None = None  # with loop_from_row: the K rows ending at row N loop (A, B, …)
    timecodes_past_end: int | None = None  # the last N rows start past the media's (clip's) end
    safety_after_chars: int | None = None  # finishReason SAFETY after N characters
    drop_after_chars: int | None = None  # close the stream after N characters, no finishReason
    garbled_after_chars: int | None = None  # then a data line that is not JSON, then close
    prompt_block: str | None = None  # promptFeedback.blockReason, no candidates
    malformed: bool = False  # prose instead of the tables
    first_byte_delay_s: float = 0.0  # delay before the response starts
    token_rate: float | None = None  # output tokens per second for this call (0 = no delay)
    clip_timecodes: str | None = None  # this call's clip timecodes: "relative" or "absolute"
    translation_fault: str | None = None  # "missing_row" / "extra_row" in a translation answer
    quota: str = "minute"  # a 429's QuotaFailure: "minute" (input tokens) or "day" (requests)
    retry_delay_s: float | None = 38.0  # a 429's RetryInfo.retryDelay; None: no RetryInfo
    clip_start_s: float | None = None  # only calls whose media starts here (a clip); None: any
    times: int | None = None  # how many model calls this applies to; None = every call

    def applies_to(self, start_s: float) -> bool:
        """Whether a call whose media part starts at `start_s` (0 without offsets) takes it."""
        return self.clip_start_s is None or self.clip_start_s == start_s

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
    if fault.quota not in QUOTAS:
        raise ValueError(f"quota must be one of {sorted(QUOTAS)}")
    if fault.retry_delay_s is not None and fault.retry_delay_s < 0:
        raise ValueError("retry_delay_s must be >= 0 (or null for no RetryInfo)")
    if fault.clip_timecodes is not None:
        check_clip_timecodes(fault.clip_timecodes)
    check_translation_fault(fault.translation_fault)
    if fault.clip_start_s is not None and fault.clip_start_s < 0:
        raise ValueError("clip_start_s must be >= 0 (or null for any call)")
    for name in ROW_COUNTS:
        value = getattr(fault, name)
        if value is not None and (type(value) is not int or value < 1):
            raise ValueError(f"{name} must be a whole number >= 1 (or null)")
    for name in ("loop_rows", "loop_cycle"):
        if getattr(fault, name) is not None and fault.loop_from_row is None:
            raise ValueError(f"{name} needs loop_from_row (the row that loops)")
    if fault.times is not None and fault.times < 1:
        raise ValueError("times must be at least 1 (or null for every call)")
    return fault


def check_clip_timecodes(value: str) -> None:
    if value not in CLIP_TIMECODES:
        raise ValueError(f"clip_timecodes must be one of {list(CLIP_TIMECODES)}")


def check_translation_fault(value: str | None) -> None:
    if value is not None and value not in TRANSLATION_FAULTS:
        raise ValueError(f"translation_fault must be one of {list(TRANSLATION_FAULTS)} (or null)")


# quota: (quotaMetric, quotaId, quotaValue) as the Developer API names them
QUOTAS = {
    "minute": (
        "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",
        "GenerateContentPaidTierInputTokensPerModelPerMinute",
        "4000000",
    ),
    "day": (
        "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
        "GenerateRequestsPerDayPerProjectPerModel",
        "10000",
    ),
}
RATE_LIMITS_HELP = "https://ai.google.dev/gemini-api/docs/rate-limits"


def injected_error(code: int, fault: Fault, model: str, location: str) -> ApiError:
    """The error an injected fault answers with; a 429 carries the service's details."""
    message = TRANSIENT_MESSAGES.get(code, "Injected error.")
    message += " (injected by the Gemini API stand-in)"
    return ApiError(
        code, message, details=quota_details(fault, model, location) if code == 429 else None
    )


def quota_details(fault: Fault, model: str, location: str) -> list[dict[str, Any]]:
    metric, quota_id, value = QUOTAS[fault.quota]
    violation = {
        "quotaMetric": metric,
        "quotaId": quota_id,
        "quotaDimensions": {"location": location, "model": model},
        "quotaValue": value,
    }
    details: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_HELP}
            ],
        },
    ]
    if fault.retry_delay_s is not None:
        delay = f"{fault.retry_delay_s:.9f}".rstrip("0").rstrip(".")
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{delay}s"}
        )
    return details


class FaultQueue:
    """Configured faults in order; each model call takes the first one that applies to it (the
    head, unless faults for other clips come first) and uses up one of its `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[list[Any]] = []  # [fault, remaining or None]

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._queue = [[f, f.times] for f in faults]

    def take(self, start_s: float = 0.0) -> Fault:
        """The fault of a call whose media part starts at `start_s` (no fault: `Fault()`)."""
        with self._lock:
            found = next((e for e in self._queue if e[0].applies_to(start_s)), None)
            if found is None:
                return Fault()
            if found[1] is not None:
                found[1] -= 1
                if found[1] <= 0:
                    self._queue.remove(found)
            return found[0]  # type: ignore[no-any-return]

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**asdict(f), "remaining": left} for f, left in self._queue]
