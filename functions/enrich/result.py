"""What one enrichment comes to, before it is recorded: its status and reason, its issues, and
what it writes (the translation's pages and counts, or the chapters and summary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions.enrich.transcript import Page
from functions.format.models import Issue


@dataclass(frozen=True)
class Result:
    status: str  # completed | failed
    reason: str | None
    issues: list[Issue] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # the enrichment's own: `counts`
    document: dict[str, Any] = field(default_factory=dict)  # the document's: chapters, summary
    pages: list[Page] = field(default_factory=list)  # a translation's, its texts translated
    subtitles: list[dict[str, Any]] = field(default_factory=list)  # its cues' segments

    @classmethod
    def failed(cls, reason: str, issues: list[Issue] | None = None) -> Result:
        return cls("failed", reason, issues or [])

    @property
    def completed(self) -> bool:
        return self.status == "completed"
