"""Shared fixtures. Emulator tests (marker `emulator`) get the real Firestore, Pub/Sub and Cloud
Storage emulators, started once per session on free ports and stopped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.services import Service, reset_firestore, start_all, stop_all

PROJECT = "tabscribe-test"
LOG_DIR = Path(__file__).parent.parent / ".local" / "test-logs"


@pytest.fixture(scope="session")
def emulators() -> Iterator[dict[str, Service]]:
    started = start_all(LOG_DIR, PROJECT)
    saved = dict(os.environ)
    for emulator in started:
        os.environ.update(emulator.env)
    os.environ["GOOGLE_CLOUD_PROJECT"] = PROJECT
    try:
        yield {e.name: e for e in started}
    finally:
        stop_all(started)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def firestore_db(emulators: dict[str, Service]):  # type: ignore[no-untyped-def]
    """A Firestore client on an emptied emulator database."""
    from google.cloud import firestore

    reset_firestore(emulators["firestore"].host_port, PROJECT)
    return firestore.Client(project=PROJECT)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic, subscription and bucket names."""
    return uuid.uuid4().hex[:10]
