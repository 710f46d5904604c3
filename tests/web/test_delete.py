"""Delete in the viewer: the owner opens a finished transcription, presses Delete…, and is asked
to confirm; dismissed, nothing changes; confirmed, the deletion function removes it (decision
0024) and the viewer goes back to the list, where it is gone, and nothing of it is left in
Firestore or either bucket."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Dialog, expect

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS, transcription_id
from stack.local import BUCKET, RESULTS_BUCKET, LocalStack
from tests.stack.long_media import model_calls
from tests.stack.test_clips_failures_e2e import until
from tests.stack.test_delete_e2e import ended, leftovers
from tests.web.conftest import Tab

pytestmark = [pytest.mark.emulator, pytest.mark.browser]


def test_the_owner_deletes_a_transcription_after_confirming(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], upload: Callable[[str, str], str]
) -> None:
    owner = uid("gwen")
    name = upload("interview.mp4", owner)
    tid = transcription_id(BUCKET, name)
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    tab.page.get_by_role("link", name="interview.mp4").click()
    expect(tab.page.get_by_role("heading", name="interview.mp4")).to_be_visible()
    storage = clients.storage_client()
    assert [b.name for b in storage.list_blobs(RESULTS_BUCKET) if tid in b.name]  # the exports
    asked: list[str] = []

    def answer(accept: bool) -> Callable[[Dialog], None]:
        def reply(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return reply

    tab.page.once("dialog", answer(False))
    tab.page.get_by_role("button", name="Delete…").click()
    assert asked and "interview.mp4" in asked[0] and "removed for good" in asked[0]
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    assert ref.get().exists and clients.storage_client().bucket(BUCKET).get_blob(name)

    tab.page.once("dialog", answer(True))
    tab.page.get_by_role("button", name="Delete…").click()
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
    assert len(asked) == 2
    # the list shows it gone once the document is; the function then removes the files
    until("nothing of it left", lambda: leftovers(tid, name) == [], timeout=30)
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab


def test_deleting_a_long_media_while_its_clips_stream_leaves_nothing(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    standin: Callable[[str, Any], Any],
    local: LocalStack,
) -> None:
    """The 100-minute conference, its clips streaming slowly: deleted from its page, nothing of
    it is left in Firestore or either bucket once the calls in flight have stopped."""
    standin("config", {"token_rate": 100})  # a clip streams for several seconds
    owner = uid("hana")
    name = upload("conference.webm", owner)
    tid = transcription_id(BUCKET, name)
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)

    def clips_streaming() -> list[dict[str, Any]]:
        doc = ref.get().to_dict() or {}
        fanned_out = doc.get("status") == "processing" and (doc.get("clips") or {}).get("count")
        return [c for c in model_calls(local) if not ended(c)] if fanned_out else []

    tab = open_viewer(owner)
    until("a clip's call streaming", clips_streaming)
    tab.page.get_by_role("link", name="conference.webm").click()
    expect(tab.page.get_by_role("heading", name="conference.webm")).to_be_visible()
    tab.page.once("dialog", lambda dialog: dialog.accept())
    tab.page.get_by_role("button", name="Delete…").click()
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible(timeout=30_000)
    until("every call ended", lambda: all(ended(c) for c in model_calls(local)))
    until("nothing of it left", lambda: leftovers(tid, name) == [])
    time.sleep(3)  # a straggler's time to write anything
    assert leftovers(tid, name) == []
    assert not tab.crashes, tab
