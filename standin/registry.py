"""Authored responses, matched by the SHA-256 of the media bytes (or an exact gs:// URI)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BUNDLED_DIR = Path(__file__).parent / "responses"


@dataclass(frozen=True)
class Entry:
    sha256: str
    duration_s: float
    has_video: bool
    text: str
    uris: tuple[str, ...] = field(default=())
    name: str = ""

    def summary(self) -> dict[str, Any]:
        info = asdict(self)
        info["text_chars"] = len(info.pop("text"))
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
    if not isinstance(data.get("text"), str):
        raise ValueError("a response needs `text` (the compact model output to replay)")
    return Entry(
        sha256=sha,
        duration_s=float(data.get("duration_s", 60.0)),
        has_video=bool(data.get("has_video", False)),
        text=data["text"],
        uris=uris,
        name=str(data.get("name") or name),
    )


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
