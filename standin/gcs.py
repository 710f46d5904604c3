"""Cloud Storage as the stand-in sees it: the emulator named by `STORAGE_EMULATOR_HOST`, through
`google-cloud-storage` with anonymous credentials (Vertex media parts, batch input and output)."""

from __future__ import annotations

import os
from typing import Any

from standin.errors import invalid


def configured() -> bool:
    return bool(os.environ.get("STORAGE_EMULATOR_HOST"))


def client(project: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project=project or "standin", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


def split(uri: str) -> tuple[str, str]:
    """(bucket, object name) of a gs:// URI."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def blob(uri: str, project: str) -> Any:
    bucket, name = split(uri)
    return client(project).bucket(bucket).blob(name)


def read_text(uri: str, project: str) -> str:
    """A gs:// object's text; a missing object is the service's 400 for an unreadable URL."""
    from google.api_core import exceptions

    try:
        return str(blob(uri, project).download_as_text(encoding="utf-8"))
    except exceptions.NotFound:
        raise missing(uri) from None


def write_text(uri: str, text: str, project: str, content_type: str) -> None:
    blob(uri, project).upload_from_string(text, content_type=content_type)


def missing(uri: str) -> Exception:
    return invalid(f"Cannot fetch content from the provided URL: {uri} (no such object).")
