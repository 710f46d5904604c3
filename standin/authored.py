"""Authored answers as data: the transcript rows, the speakers and the sound events a model would
give for a whole media (standin/responses/*.json, `rows`, `speakers` and `events`). The stand-in
reasons about these and writes them out with its own writer (standin/writer.py)."""

from __future__ import annotations

from dataclasses import dataclass
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
class Authored:
    rows: tuple[Row, ...]
    speakers: tuple[Speaker, ...]
    events: tuple[Event, ...] = ()  # answered only when the prompt asks for the events table


def authored_from_json(rows: Any, speakers: Any, events: Any = None) -> Authored:
    """From JSON lists: rows `{start_ms, voice, text}`, speakers `{voice, name, company,
    position, role, evidence_ms}` (null: unknown; a speaker's missing keys are unknown), events
    `{start_ms, end_ms, kind}`."""
    if not isinstance(rows, list) or not all(isinstance(x or [], list) for x in (speakers, events)):
        raise ValueError("`rows`, `speakers` and `events` must be lists")
    try:
        return Authored(
            tuple(_row(item) for item in rows),
            tuple(_speaker(item) for item in speakers or []),
            tuple(
                Event(int(e["start_ms"]), int(e["end_ms"]), str(e["kind"])) for e in events or []
            ),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"a row or speaker is malformed: {error!r}") from None


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
