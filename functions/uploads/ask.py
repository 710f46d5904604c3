"""What the caller may upload: the request body checked, the object name made here.

The body is JSON: `name` (the file's name, kept only as a sanitised suffix), `content_type` (a
video or audio type of the model catalog), `size` (bytes, up to the transcriber's limit),
optional `duration` (seconds, as the uploader's player reads it: what the daily caps count until
the transcriber probes the file; signed as the `duration` metadata the transcriber falls back on)
and optional `metadata` (the uploader context the transcriber reads: title, speakers, …).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from functions.core.catalog import catalog
from functions.core.http import BadRequest
from functions.core.media import (
    CONTEXT_LIMITS,
    ENRICHMENT_FLAGS,
    FLAG_VALUES,
    MAX_MEDIA_BYTES,
    PRIORITIES,
    TRANSLATE,
    TRANSLATE_CHARS,
    UnknownLanguage,
    translate_codes,
)

MAX_NAME_CHARS = 100
_UNSAFE_NAME = re.compile(r"[^\w.-]+")
_HEADER_SAFE = re.compile(r"^[\x20-\x7e]*$")  # a signed header value: printable ASCII


@dataclass(frozen=True)
class Ask:
    file_name: str
    content_type: str
    size: int
    duration_s: float | None
    metadata: dict[str, str]

    def object_name(self, input_prefix: str, uid: str) -> str:
        """`uploads/<uid>/<unique>-<file name>`: the uid is the caller's, the name always new."""
        return f"{input_prefix}{uid}/{uuid.uuid4().hex[:12]}-{self.file_name}"


def parse(body: Any, most_s: float) -> Ask:
    """The ask in `body`; a declared duration of at most `most_s` (the longest media taken)."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    duration_s = _duration_s(body.get("duration"), most_s)
    declared = {} if duration_s is None else {"duration": f"{duration_s:g}"}
    return Ask(
        _file_name(body.get("name")),
        _content_type(body.get("content_type")),
        _size(body.get("size")),
        duration_s,
        {**_metadata(body.get("metadata")), **declared},
    )


def _file_name(value: Any) -> str:
    """The last path segment, NFC, with anything but letters, digits, `.`, `-`, `_` replaced."""
    if not isinstance(value, str):
        raise BadRequest("name: the file's name is required")
    base = unicodedata.normalize("NFC", re.split(r"[/\\]", value)[-1])
    safe = _UNSAFE_NAME.sub("_", base).strip("._")
    if not safe:
        raise BadRequest(f"name: {value!r} has nothing usable as a file name")
    return safe[-MAX_NAME_CHARS:]


def _content_type(value: Any) -> str:
    if not isinstance(value, str) or not catalog().accepted(value.strip().lower()):
        raise BadRequest(f"content_type: {value!r} is not a video or audio type Gemini takes")
    return value.strip().lower()


def _size(value: Any) -> int:
    if type(value) is not int or not 0 < value <= MAX_MEDIA_BYTES:
        raise BadRequest(
            f"size: bytes between 1 and {MAX_MEDIA_BYTES:,} (2 GiB - 500 KiB), not {value!r}"
        )
    return value


def _duration_s(value: Any, most_s: float) -> float | None:
    if value is None:
        return None
    if type(value) not in (int, float) or not 0 < value <= most_s:
        raise BadRequest(f"duration: seconds between 0 and {most_s:g}, not {value!r}")
    return round(float(value), 3)


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("metadata must be an object of strings")
    allowed = {*CONTEXT_LIMITS, *ENRICHMENT_FLAGS, TRANSLATE, "priority"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise BadRequest(f"metadata: unknown keys {unknown}; allowed: {sorted(allowed)}")
    for key, text in value.items():
        if key in ENRICHMENT_FLAGS:
            if text not in FLAG_VALUES:
                raise BadRequest(f"metadata.{key}: one of {list(FLAG_VALUES)}, not {text!r}")
        elif key == "priority":
            if text not in PRIORITIES:
                raise BadRequest(f"metadata.priority: one of {list(PRIORITIES)}, not {text!r}")
        elif key == TRANSLATE:
            _translate(text)
        elif not isinstance(text, str) or len(text) > CONTEXT_LIMITS[key]:
            raise BadRequest(f"metadata.{key}: a string of at most {CONTEXT_LIMITS[key]} chars")
        if not _HEADER_SAFE.match(text):
            raise BadRequest(f"metadata.{key}: printable ASCII only (it travels as a header)")
    return {key: text for key, text in value.items() if text}


def _translate(text: Any) -> None:
    """`translate`: ISO 639 codes, comma-separated, each a language Gemini supports."""
    if not isinstance(text, str) or len(text) > TRANSLATE_CHARS:
        raise BadRequest(f"metadata.{TRANSLATE}: a string of at most {TRANSLATE_CHARS} chars")
    try:
        translate_codes(text)
    except UnknownLanguage as exc:
        raise BadRequest(f"metadata.{exc}") from None
