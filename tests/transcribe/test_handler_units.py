"""Pure unit tests of the transcriber's bookkeeping (no emulator, no model)."""

from __future__ import annotations

import pytest
from google.api_core.exceptions import ServiceUnavailable

from functions.core import clients
from functions.core.settings import Settings
from functions.transcribe import claims
from functions.transcribe.claims import Claim
from functions.transcribe.run import Run, StorageObject, mark_finished


def test_a_failed_finish_mark_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Raising would make the platform retry an event whose final chunk is already out."""

    def unavailable(*_: object) -> None:
        raise ServiceUnavailable("Firestore is unavailable")

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    monkeypatch.setattr(claims, "mark_finished", unavailable)
    monkeypatch.setattr(clients, "firestore_client", lambda *_: None)
    obj = StorageObject(bucket="b", name="uploads/u/a.mp4", generation="7")
    run = Run(Settings(), obj, Claim("t-1", "7", 1, "evt-1"))
    mark_finished(run)
    assert "could not mark the run finished" in caplog.text
