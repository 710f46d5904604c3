"""The completion event (moved to `functions.core.events`, which the watchdog shares)."""

from functions.core.events import (
    CompletionData,
    CompletionEvent,
    Counts,
    RunRef,
    SourceObject,
    SpeakerSummary,
    Status,
)

__all__ = [
    "CompletionData",
    "CompletionEvent",
    "Counts",
    "RunRef",
    "SourceObject",
    "SpeakerSummary",
    "Status",
]
