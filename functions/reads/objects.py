"""Which object a read names: the request checked, the transcription's owner checked, the object
found on the document (its source, an export the store recorded, or a completed translation's
export the enrichment recorded), never in the request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from functions.core.http import BadRequest, Forbidden, NotFound
from functions.core.settings import Settings

OBJECTS = ("source", "vtt", "srt", "json")
TRANSLATED = ("vtt", "srt")  # the exports a translation has (decision 0026)
_ID = re.compile(r"^[0-9a-f]{32}$")  # functions.core.documents.transcription_id
_LANG = re.compile(r"^[a-z]{2,3}$")  # an ISO 639 code, as in ENRICHMENT_NAME (core/messages.py)
_GS = re.compile(r"^gs://([^/]+)/(.+)$")
_UNSAFE_FILENAME = re.compile(r'[^\x20-\x7e]|["\\]')  # a quoted header value: printable ASCII


@dataclass(frozen=True)
class Read:
    transcription: str
    object: str  # one of OBJECTS
    lang: str | None = None  # a translation's export (one of TRANSLATED), or the transcript's


@dataclass(frozen=True)
class Target:
    bucket: str
    name: str
    disposition: str | None  # an export downloads as a file; the source plays inline


def parse(body: Any) -> Read:
    """`{transcription, object, lang?}` from a JSON body, or BadRequest."""
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object {"transcription", "object"}')
    transcription, kind = body.get("transcription"), body.get("object")
    if not isinstance(transcription, str) or not _ID.match(transcription):
        raise BadRequest("transcription: a transcription id (32 hexadecimal characters)")
    if kind not in OBJECTS:
        raise BadRequest(f"object: one of {', '.join(OBJECTS)}")
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or not _LANG.match(lang)):
        raise BadRequest("lang: an ISO 639 code (2 or 3 lowercase letters)")
    if lang is not None and kind not in TRANSLATED:
        raise BadRequest(f"lang: a translation has only {' and '.join(TRANSLATED)} exports")
    return Read(transcription, kind, lang)


def target(settings: Settings, uid: str, read: Read) -> Target:
    """The object `read` names, if the transcription is `uid`'s."""
    db = clients.firestore_client(settings.firestore_database)
    doc = db.collection(TRANSCRIPTIONS).document(read.transcription).get().to_dict()
    if doc is None:
        raise NotFound(f"no transcription {read.transcription}")
    if doc.get("owner") != uid:
        raise Forbidden("this transcription is not yours")
    return _object_of(settings, doc, read.object, read.lang)


def _object_of(
    settings: Settings, doc: dict[str, Any], kind: str, lang: str | None = None
) -> Target:
    source = doc.get("source") or {}
    if kind == "source":
        bucket, name, disposition = source.get("bucket"), source.get("name"), None
    else:
        match = _GS.match(_exports(doc, lang).get(kind) or "")
        if not match:
            raise NotFound(f"this transcription has no {kind} export (yet)")
        bucket, name = match.groups()
        suffix = f"{lang}.{kind}" if lang else kind
        disposition = f'attachment; filename="{_stem(source.get("name") or "")}.{suffix}"'
    readable = {settings.upload_bucket, settings.results_bucket or settings.upload_bucket}
    if not bucket or not name or bucket not in readable:
        raise NotFound(f"the {kind} object is not in a bucket this function reads")
    return Target(bucket, name, disposition)


def _exports(doc: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """The transcript's exports, or those of its translation into `lang` once completed."""
    if lang is None:
        return doc.get("exports") or {}
    translation = (doc.get("enrichments") or {}).get(f"translation_{lang}") or {}
    if translation.get("status") != "completed":
        raise NotFound(f"this transcription has no completed translation into {lang}")
    return translation.get("exports") or {}


def _stem(object_name: str) -> str:
    """The uploaded file's name without its folder and extension, safe in a quoted header."""
    base = object_name.rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return _UNSAFE_FILENAME.sub("_", stem) or "transcript"
