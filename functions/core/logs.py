"""Structured logs: one JSON object per line with `severity`, as Cloud Logging reads them.

`log(...)`/`get_logger` add the transcription id (and any other fields) as top-level keys, so logs
can be filtered by `jsonPayload.transcription_id`. A run's one terminal line carries `outcome(...)`,
which the log-based metrics of infra/monitoring.tf read (docs/deploy.md, "Monitoring").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, Protocol

_RESERVED = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "logger": record.name,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Send the `tabscribe` loggers to the current stdout as JSON lines (calling again replaces)."""
    logger = logging.getLogger("tabscribe")
    for handler in [h for h in logger.handlers if isinstance(h.formatter, JsonFormatter)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(level)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"tabscribe.{name}")


class _Usage(Protocol):
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def thought_tokens(self) -> int: ...


def outcome(
    status: str,
    ended_by: str,
    *,
    model: str | None = None,
    usage: _Usage | None = None,
    cost: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of the log line that ends a run: its terminal status, who ended it (`store`,
    or the watchdog's `sweep` or `dead-letter`), and the model's tokens and estimated cost."""
    fields: dict[str, Any] = {"terminal_status": status, "ended_by": ended_by, "model": model}
    if usage is not None:
        fields["prompt_tokens"] = usage.prompt_tokens
        fields["output_tokens"] = usage.output_tokens + usage.thought_tokens  # billed as output
    if cost and cost.get("total") is not None:
        fields["cost_usd"] = cost["total"]
    return fields
