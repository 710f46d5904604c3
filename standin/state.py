"""Everything the stand-in remembers: responses, files, faults, settings and the call log."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from standin.batches import Batches
from standin.faults import (
    FaultQueue,
    check_clip_timecodes,
    check_translation_fault,
    fault_from_dict,
)
from standin.files import FileStore
from standin.registry import BUNDLED_DIR, Registry

NOTICE = (
    "This is the offline Gemini API stand-in, not Gemini. It speaks the Gemini REST protocol and "
    "replays authored responses for known sample media; it recognises nothing."
)


@dataclass(frozen=True)
class Config:
    token_rate: float = 0.0  # output tokens per second while streaming (0 = as fast as possible)
    chunk_chars: int = 160  # characters of text per streamed chunk
    processing_polls: int = 1  # files.get calls that answer PROCESSING before ACTIVE
    processing_s: float = 0.0  # and seconds after the upload before ACTIVE
    file_processing_fails: bool = False  # processing ends in FAILED instead of ACTIVE
    today: str | None = None  # ISO date the catalog's shutdown dates are read against (None: now)
    signature_part: bool = False  # Gemini 3: thoughtSignature in its own empty-text part
    clip_timecodes: str = "relative"  # clip answers: "relative" to the clip start or "absolute"
    realistic_pace: bool = False  # first token after a real model's delay, then its output rate
    pace_scale: float = 1.0  # every answer delay divided by this (10: ten times faster)
    clock_shift_s: float = 0.0  # the stand-in's clock runs this far ahead (files expire sooner)
    batch_s: float = 0.0  # seconds a batch job runs at least before it ends (standin/batches.py)
    translation_fault: str | None = None  # "missing_row" / "extra_row" in translation answers

    def date(self) -> dt.date | None:
        return None if self.today is None else dt.date.fromisoformat(self.today)


def config_with(config: Config, changes: dict[str, Any]) -> Config:
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {sorted(known)}")
    updated = replace(config, **changes)
    updated.date()  # a malformed date is a ValueError here, not on the next call
    if updated.token_rate < 0 or updated.chunk_chars < 1 or updated.processing_polls < 0:
        raise ValueError("token_rate >= 0, chunk_chars >= 1 and processing_polls >= 0 please")
    if updated.pace_scale <= 0:
        raise ValueError("pace_scale must be > 0")
    if updated.batch_s < 0:
        raise ValueError("batch_s must be >= 0")
    check_clip_timecodes(updated.clip_timecodes)
    check_translation_fault(updated.translation_fault)
    return updated


class State:
    def __init__(self, responses_dir: Path | None = BUNDLED_DIR, config: Config = Config()) -> None:
        self._lock = threading.Lock()
        self._initial = config
        self.config = config
        self.registry = Registry(responses_dir)
        self.files = FileStore(self.clock)
        self.batches = Batches(self.clock, lambda: self.config.batch_s)
        self.faults = FaultQueue()
        self._calls: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget files, calls, faults and run-time registrations; back to the start settings."""
        self.registry.reset()
        self.files.reset()
        self.batches.reset()
        self.faults.set([])
        with self._lock:
            self._calls.clear()
            self.config = self._initial

    def clock(self) -> float:
        """The stand-in's time (`clock_shift_s` runs it ahead)."""
        return time.time() + self.config.clock_shift_s

    def configure(self, changes: dict[str, Any]) -> Config:
        faults = changes.pop("faults", None)
        with self._lock:
            self.config = config_with(self.config, changes)
        if faults is not None:
            items = faults if isinstance(faults, list) else [faults]
            self.faults.set([fault_from_dict(dict(f)) for f in items])
        return self.config

    def new_call(self, **info: Any) -> dict[str, Any]:
        """A call-log record; the caller fills it in as the call proceeds."""
        with self._lock:
            record = {"id": len(self._calls) + 1, "time": time.time(), **info}
            self._calls.append(record)
            return record

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._calls]

    def info(self) -> dict[str, Any]:
        return {
            "service": "Gemini API stand-in (offline)",
            "notice": NOTICE,
            "settings": asdict(self.config),
            "responses": self.registry.summaries(),
            "control": [
                "GET /_standin/info",
                "GET /_standin/calls",
                "POST /_standin/reset",
                "GET|POST /_standin/faults",
                "GET|POST /_standin/config",
                "GET|POST /_standin/responses",
                "GET /_standin/files",
                "GET|POST /_standin/batches",
            ],
        }
