"""What the caller asks: the request body checked before anything is read or changed.

The body is JSON: `transcription` (its id) and `action`, with
- `rename`: `voice` and `speaker` {name, company, position, role}: the fields given replace the
  voice's (an empty string or `?` makes one unknown), the others stay;
- `merge`: `voice` is one person with `into`: its segments become `into`'s, its row goes;
- `undo`: `correction` (a history number), or none for the last correction still standing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from functions.core.http import BadRequest
from functions.format.models import MAX_FIELD_CHARS, MAX_VOICE_ID

FIELDS = ("name", "company", "position", "role")
_ID = re.compile(r"^[0-9a-f]{32}$")
# Bidirectional embeddings, overrides and isolates: they reorder what follows them on screen.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Ask:
    transcription: str
    action: Literal["rename", "merge", "undo"]
    voice: int | None = None
    fields: dict[str, str | None] | None = None  # rename: the fields given
    into: int | None = None  # merge
    correction: int | None = None  # undo: which; None for the last standing


def parse(body: Any) -> Ask:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    transcription = body.get("transcription")
    if not isinstance(transcription, str) or not _ID.match(transcription):
        raise BadRequest("`transcription` must be a transcription id (32 hex characters)")
    action = body.get("action")
    if action == "rename":
        return Ask(
            transcription, action, _voice(body, "voice"), fields=_fields(body.get("speaker"))
        )
    if action == "merge":
        voice, into = _voice(body, "voice"), _voice(body, "into")
        if voice == into:
            raise BadRequest("a voice cannot be merged into itself")
        return Ask(transcription, action, voice, into=into)
    if action == "undo":
        correction = body.get("correction")
        if correction is not None and (type(correction) is not int or correction < 1):
            raise BadRequest("`correction` must be a history number (1, 2, …) or absent")
        return Ask(transcription, action, correction=correction)
    raise BadRequest("`action` must be one of rename, merge, undo")


def _voice(body: dict[str, Any], key: str) -> int:
    voice = body.get(key)
    if type(voice) is not int or not 0 <= voice <= MAX_VOICE_ID:
        raise BadRequest(f"`{key}` must be a voice number (0 to {MAX_VOICE_ID})")
    return voice


def _fields(speaker: Any) -> dict[str, str | None]:
    if not isinstance(speaker, dict) or not speaker:
        raise BadRequest(f"`speaker` must be an object with any of {', '.join(FIELDS)}")
    unknown = sorted(set(speaker) - set(FIELDS))
    if unknown:
        raise BadRequest(f"`speaker` may only carry {', '.join(FIELDS)}, not {', '.join(unknown)}")
    return {key: _text(key, value) for key, value in speaker.items()}


def _text(key: str, value: Any) -> str | None:
    """A field as stored: trimmed, unknown (None) when empty or `?`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"`{key}` must be a string or null")
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI for char in value):
        raise BadRequest(f"`{key}` must not contain control characters")
    value = value.strip()
    if len(value) > MAX_FIELD_CHARS:
        raise BadRequest(f"`{key}` is longer than {MAX_FIELD_CHARS} characters")
    return None if value in ("", "?") else value
