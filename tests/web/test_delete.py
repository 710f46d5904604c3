"""Delete in the viewer: the owner opens a finished transcription, presses Delete…, and is asked
to confirm; dismissed, nothing changes; confirmed, the deletion function removes it (decision
0024) and the viewer goes back to the list, where it is gone, and nothing of it is left in
Firestore or either bucket."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, expect

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS, transcription_id
from stack.local import BUCKET, RESULTS_BUCKET
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
    assert not ref.get().exists and not list(ref.collection("pages").list_documents())
    assert not list(storage.list_blobs(BUCKET, prefix=name))
    assert not [b.name for b in storage.list_blobs(RESULTS_BUCKET) if tid in b.name]
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab
