"""Authored answers as data: the transcript rows, the speakers and the sound events a model would
give for a whole media (standin/responses/*.json, `rows`, `speakers` and `events`), and what it
would answer to the enrichment requests on that transcript (`translations`, `chapters`,
`summary`). The stand-in reasons about these and writes them out with its own writer
(standin/writer.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Row:
    start_ms: int  # media time
    voice: int | None  # None: `?`
    text: str


@dataclass(frozen=True)
class Speaker:
    voice: int
    name: str | None = None  # None: `?`
    company: str | None = None
    position: str | None = None
    role: str | None = None
    evidence_ms: int | None = None


@dataclass(frozen=True)
class Event:
    start_ms: int  # media time
    end_ms: int
    kind: str


@dataclass(frozen=True)
class Chapter:
    start_ms: int  # media time
    title: str


@dataclass(frozen=True)
class Authored:
    rows: tuple[Row, ...]
    speakers: tuple[Speaker, ...]
    events: tuple[Event, ...] = ()  # answered only when the prompt asks for the events table
    translations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lang → one a row
    chapters: tuple[Chapter, ...] = ()
    summary: str | None = None


def authored_from_json(
    rows: Any,
    speakers: Any,
    events: Any = None,
    translations: Any = None,
    chapters: Any = None,
    summary: Any = None,
) -> Authored:
    """From JSON: rows `{start_ms, voice, text}`, speakers `{voice, name, company, position,
    role, evidence_ms}` (null: unknown; a speaker's missing keys are unknown), events
    `{start_ms, end_ms, kind}`, translations `{lang: [text, …]}` (one a row, in order),
    chapters `{start_s, title}`, the summary a string."""
    lists = (speakers, events, chapters)
    if not isinstance(rows, list) or not all(isinstance(x or [], list) for x in lists):
        raise ValueError("`rows`, `speakers`, `events` and `chapters` must be lists")
    try:
        authored = Authored(
            tuple(_row(item) for item in rows),
            tuple(_speaker(item) for item in speakers or []),
            tuple(_event(item) for item in events or []),
            {
                str(lang): tuple(str(t) for t in texts)
                for lang, texts in (translations or {}).items()
            },
            tuple(
                Chapter(round(float(c["start_s"]) * 1000), str(c["title"])) for c in chapters or []
            ),
            None if summary is None else str(summary),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"an authored item is malformed: {error!r}") from None
    for lang, texts in authored.translations.items():
        if len(texts) != len(authored.rows):
            raise ValueError(f"translation {lang!r}: {len(texts)} texts for {len(rows)} rows")
    return authored


def _row(item: dict[str, Any]) -> Row:
    voice = item.get("voice")
    return Row(int(item["start_ms"]), None if voice is None else int(voice), str(item["text"]))


def _event(item: dict[str, Any]) -> Event:
    return Event(int(item["start_ms"]), int(item["end_ms"]), str(item["kind"]))


def _speaker(item: dict[str, Any]) -> Speaker:
    def text(key: str) -> str | None:
        value = item.get(key)
        return None if value is None else str(value)

    evidence = item.get("evidence_ms")
    return Speaker(
        voice=int(item["voice"]),
        name=text("name"),
        company=text("company"),
        position=text("position"),
        role=text("role"),
        evidence_ms=None if evidence is None else int(evidence),
    )
