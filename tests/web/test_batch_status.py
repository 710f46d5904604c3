"""A transcription waiting in a batch job (decision 0032) says so in the list and on its page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from tests.web.conftest import Tab
from tests.web.test_viewer import open_first

pytestmark = [pytest.mark.emulator, pytest.mark.browser]


def test_a_queued_transcription_shows_queued_batch(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str]
) -> None:
    owner = uid("ines")
    doc = clients.firestore_client().collection(TRANSCRIPTIONS).document(f"{'b' * 26}{owner[-6:]}")
    doc.set(
        {
            "owner": owner,
            "status": "queued",
            "priority": "batch",
            "source": {"bucket": "b", "name": f"uploads/{owner}/archive.mp4"},
            "created_at": dt.datetime.now(dt.UTC),
        }
    )
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .badge")).to_have_text("queued (batch)")
    open_first(tab, "archive.mp4")
    expect(tab.page.locator("#status")).to_have_text("queued (batch)")
    doc.update({"status": "processing"})
    expect(tab.page.locator("#status")).to_have_text("processing")
