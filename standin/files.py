"""The Files API: resumable uploads, file records and their PROCESSING → ACTIVE life, the 48 h
expiry and the 20 GB per-project storage quota.

Uploaded media bytes are hashed as they arrive and then dropped: only the SHA-256 is kept. Other
uploads (a batch job's JSONL input) keep their bytes, and batch jobs add generated files (their
responses file) that can be downloaded."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.core.catalog import catalog
from standin.errors import ApiError, invalid

MAX_FILE_BYTES = catalog().object_bytes["developer"]  # the Files API's "2GB" a file
QUOTA_BYTES = 20 * 1024**3  # FileStorageBytesPerProject: files and open uploads, declared sizes
LIFETIME_S = 48 * 3600.0
HELP = "https://ai.google.dev/gemini-api/docs/rate-limits"
FILE_ID = re.compile(r"^[a-z0-9-]{1,40}$")
PUBLIC_HOST = "https://generativelanguage.googleapis.com"  # File.uri as the real API writes it


@dataclass
class Upload:
    file_id: str
    display_name: str | None
    mime_type: str
    size: int
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    data: bytearray | None = None  # kept for non-media uploads (batch input)


@dataclass
class FileRecord:
    file_id: str
    display_name: str | None
    mime_type: str
    size: int
    sha256: str
    created: float
    polls: int = 0
    state: str = "PROCESSING"
    data: bytes | None = None  # the bytes of a batch input or a generated file
    source: str = "UPLOADED"  # or GENERATED (a batch job's responses file)

    @property
    def expires(self) -> float:
        return self.created + LIFETIME_S

    def as_json(self, version: str) -> dict[str, Any]:
        created = datetime.fromtimestamp(self.created, UTC)
        body: dict[str, Any] = {
            "name": f"files/{self.file_id}",
            "mimeType": self.mime_type,
            "sizeBytes": str(self.size),
            "createTime": _rfc3339(created),
            "updateTime": _rfc3339(created),
            "expirationTime": _rfc3339(created + timedelta(seconds=LIFETIME_S)),
            "sha256Hash": base64.b64encode(self.sha256.encode()).decode(),
            "uri": f"{PUBLIC_HOST}/{version}/files/{self.file_id}",
            "state": self.state,
            "source": self.source,
        }
        if self.source == "GENERATED":
            body["downloadUri"] = (
                f"{PUBLIC_HOST}/download/{version}/files/{self.file_id}:download?alt=media"
            )
        if self.display_name:
            body["displayName"] = self.display_name
        if self.state == "FAILED":
            body["error"] = {"code": 400, "message": "File processing failed (injected fault)."}
        return body


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def not_found(file_id: str) -> ApiError:
    return ApiError(
        403, f"You do not have permission to access the File {file_id} or it may not exist."
    )


def over_quota(stored: int, size: int) -> ApiError:
    """The service's 429 for an upload past the project's file storage (as a public report quotes
    it: github.com/googleapis/python-genai/issues/1172)."""
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more "
        f"information on this error, head to: {HELP}."
    )
    violation = {
        "quotaMetric": "generativelanguage.googleapis.com/file_storage_bytes",
        "quotaId": "FileStorageBytesPerProject",
        "quotaValue": str(QUOTA_BYTES),
    }
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Learn more about Gemini API quotas", "url": HELP}],
        },
    ]
    return ApiError(429, f"{message} ({stored} + {size} bytes stored)", details=details)


class FileStore:
    """`clock`: the stand-in's time (a test may run it ahead to expire files)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._uploads: dict[str, Upload] = {}
        self._files: dict[str, FileRecord] = {}
        self.uploads = 0  # files created since the last reset

    def reset(self) -> None:
        with self._lock:
            self._uploads.clear()
            self._files.clear()
            self.uploads = 0

    def _expire(self) -> None:
        """Forget files past their expirationTime (call with the lock held)."""
        now = self._clock()
        for file_id in [i for i, f in self._files.items() if f.expires <= now]:
            del self._files[file_id]

    def start(self, name: str | None, display: str | None, mime: str, size: int) -> str:
        """Open a resumable upload; returns its upload id."""
        if size <= 0 or size > MAX_FILE_BYTES:
            raise invalid(f"File size {size} bytes is outside the allowed range (1 to 2 GB).")
        if not mime:
            raise invalid("Upload has no MIME type (X-Goog-Upload-Header-Content-Type).")
        file_id = (name or "").removeprefix("files/") or _new_id()
        if not FILE_ID.match(file_id):
            raise invalid(f"Invalid file name: files/{file_id}")
        upload_id = secrets.token_urlsafe(24)
        with self._lock:
            self._expire()
            if file_id in self._files:
                raise ApiError(409, f"File files/{file_id} already exists.")
            stored = sum(f.size for f in self._files.values())
            stored += sum(u.size for u in self._uploads.values())
            if stored + size > QUOTA_BYTES:
                raise over_quota(stored, size)
            keep = not mime.startswith(("video/", "audio/"))
            self._uploads[upload_id] = Upload(
                file_id, display, mime, size, data=bytearray() if keep else None
            )
        return upload_id

    def chunk(self, upload_id: str, command: str, offset: int, data: bytes) -> FileRecord | None:
        """Apply one chunk POST; returns the file record once finalized."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                raise ApiError(404, "No such upload session (unknown or finished upload_id).")
            if offset != upload.received:
                raise invalid(
                    f"Invalid X-Goog-Upload-Offset {offset}: "
                    f"{upload.received} bytes were received so far."
                )
            if upload.received + len(data) > upload.size:
                raise invalid("More bytes than the declared X-Goog-Upload-Header-Content-Length.")
            upload.digest.update(data)
            upload.received += len(data)
            if upload.data is not None:
                upload.data += data
            if "finalize" not in command:
                return None
            del self._uploads[upload_id]
            if upload.received != upload.size:
                raise invalid(f"Upload finalized after {upload.received} of {upload.size} bytes.")
            record = FileRecord(
                upload.file_id,
                upload.display_name,
                upload.mime_type,
                upload.size,
                upload.digest.hexdigest(),
                self._clock(),
                data=None if upload.data is None else bytes(upload.data),
            )
            self._files[record.file_id] = record
            self.uploads += 1
            return record

    def received(self, upload_id: str) -> int:
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                raise ApiError(404, "No such upload session (unknown or finished upload_id).")
            return upload.received

    def get(self, file_id: str, polls: int, seconds: float, fail: bool) -> FileRecord:
        """files.get: PROCESSING until both `polls` gets and `seconds` have passed."""
        record = self.peek(file_id)
        with self._lock:
            record.polls += 1
            ready = record.polls > polls and self._clock() - record.created >= seconds
            if record.state == "PROCESSING" and ready:
                record.state = "FAILED" if fail else "ACTIVE"
            return record

    def peek(self, file_id: str) -> FileRecord:
        if not FILE_ID.match(file_id):
            raise invalid(f"Invalid file name: files/{file_id}")
        with self._lock:
            self._expire()
            record = self._files.get(file_id)
        if record is None:
            raise not_found(file_id)
        return record

    def generated(self, file_id: str, mime: str, data: bytes) -> FileRecord:
        """A file the service wrote (a batch job's responses), ACTIVE at once."""
        digest = hashlib.sha256(data).hexdigest()
        record = FileRecord(file_id, None, mime, len(data), digest, self._clock(), data=data)
        record.state, record.source = "ACTIVE", "GENERATED"
        with self._lock:
            self._files[file_id] = record
        return record

    def delete(self, file_id: str) -> None:
        self.peek(file_id)
        with self._lock:
            self._files.pop(file_id, None)

    def all(self) -> list[FileRecord]:
        with self._lock:
            self._expire()
            return list(self._files.values())


def _new_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(12))
