"""Authored responses, matched by the SHA-256 of the media bytes (or an exact gs:// URI)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from standin.authored import Authored, Row, authored_from_json
from standin.writer import write

BUNDLED_DIR = Path(__file__).parent / "responses"


@dataclass(frozen=True)
class Entry:
    sha256: str
    duration_s: float
    has_video: bool
    text: str  # the whole media's answer: the authored rows written out, or the registered text
    authored: Authored | None = None  # None: a `text` registration, replayed as it is
    uris: tuple[str, ...] = field(default=())
    name: str = ""

    @property
    def rows(self) -> tuple[Row, ...]:
        return () if self.authored is None else self.authored.rows

    def summary(self) -> dict[str, Any]:
        info = asdict(self)
        info["text_chars"] = len(info.pop("text"))
        authored = info.pop("authored")
        info["rows"] = None if authored is None else len(authored["rows"])
        return info


def entry_from_dict(data: dict[str, Any], name: str = "") -> Entry:
    """Build an entry from registration JSON; `media_base64` or `media` bytes give the hash."""
    sha = str(data.get("sha256") or "").lower()
    media = data.get("media")
    if isinstance(media, bytes | bytearray):
        sha = hashlib.sha256(media).hexdigest()
    uris = tuple(str(u) for u in data.get("uris") or ([data["uri"]] if data.get("uri") else []))
    if not sha and not uris:
        raise ValueError("a response needs `sha256` (or the media bytes) or a gs:// `uri`")
    duration_s = float(data.get("duration_s", 60.0))
    authored, text = _answer(data, duration_s)
    return Entry(
        sha256=sha,
        duration_s=duration_s,
        has_video=bool(data.get("has_video", False)),
        text=text,
        authored=authored,
        uris=uris,
        name=str(data.get("name") or name),
    )


def _answer(data: dict[str, Any], duration_s: float) -> tuple[Authored | None, str]:
    """(the authored rows and speakers, the whole media's answer): from `rows` and `speakers`,
    or an opaque `text` (no rows: every request gets it as it is)."""
    has_rows, has_text = data.get("rows") is not None, data.get("text") is not None
    if has_rows == has_text:
        raise ValueError(
            "a response needs `rows` (and `speakers`) or `text` (compact model output to replay)"
        )
    if has_text:
        if not isinstance(data["text"], str):
            raise ValueError("`text` must be a string")
        return None, data["text"]
    authored = authored_from_json(
        data["rows"],
        *(data.get(key) for key in ("speakers", "events", "translations", "chapters", "summary")),
    )
    return authored, write(authored.rows, authored.speakers, round(duration_s * 1000))


class Registry:
    def __init__(self, directory: Path | None = BUNDLED_DIR) -> None:
        self._lock = threading.Lock()
        self._directory = directory
        self._entries: list[Entry] = []
        self.reset()

    def reset(self) -> None:
        """Back to the entries of the directory; run-time registrations are dropped."""
        loaded = []
        if self._directory is not None:
            for path in sorted(self._directory.glob("*.json")):
                loaded.append(entry_from_dict(json.loads(path.read_text("utf-8")), path.stem))
        with self._lock:
            self._entries = loaded

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.insert(0, entry)  # the newest registration wins

    def by_sha256(self, sha: str) -> Entry | None:
        with self._lock:
            return next((e for e in self._entries if e.sha256 == sha), None)

    def by_uri(self, uri: str) -> Entry | None:
        with self._lock:
            return next((e for e in self._entries if uri in e.uris), None)

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def summaries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e.summary() for e in self._entries]
