"""The upload button: a user signed in to the Auth emulator picks a file; the upload function
signs a URL under their uid; the browser PUTs the file through it; the transcription appears in
their list and completes, owned by them (and another user's list stays empty). A user over a
daily cap is told which, and when uploads reopen (decision 0019)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from stack.local import BUCKET, LocalStack
from tests.web.conftest import SAMPLES, Tab

pytestmark = [pytest.mark.emulator, pytest.mark.browser]


def test_the_upload_button_uploads_under_the_user_s_uid_and_shows_the_transcription(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], local: LocalStack
) -> None:
    carol, dave = uid("carol"), uid("dave")
    tab = open_viewer(carol)
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
    tab.page.get_by_label("Upload media").set_input_files(str(SAMPLES / "interview.mp4"))
    tab.page.get_by_role("button", name="Upload", exact=True).click()
    expect(tab.page.get_by_role("status")).to_contain_text("Uploaded interview.mp4")

    item = tab.page.locator("li.doc", has_text="interview.mp4")
    expect(item.locator(".badge")).to_have_text("completed", timeout=60_000)
    doc_id = item.get_attribute("data-id")
    doc = clients.firestore_client().collection(TRANSCRIPTIONS).document(doc_id).get().to_dict()
    assert doc is not None and doc["owner"] == carol
    assert doc["source"]["bucket"] == BUCKET
    assert doc["source"]["name"].startswith(f"uploads/{carol}/")
    blob = clients.storage_client().bucket(BUCKET).get_blob(doc["source"]["name"])
    assert float(blob.metadata["duration"]) == pytest.approx(55.2, abs=0.2)  # the player's
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab

    other = open_viewer(dave)
    expect(other.page.get_by_text("Nothing yet")).to_be_visible()
    assert other.page.locator("li.doc").count() == 0


def test_a_file_that_is_not_media_is_refused_with_the_reason(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str]
) -> None:
    tab = open_viewer(uid("erin"))
    tab.page.get_by_label("Upload media").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not media"}
    )
    tab.page.get_by_role("button", name="Upload", exact=True).click()
    expect(tab.page.get_by_role("status")).to_contain_text("Upload failed: content_type")
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()


def test_a_user_over_a_daily_cap_is_told_which_and_when_uploads_reopen(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str]
) -> None:
    frank = uid("frank")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    usage = clients.firestore_client().collection("usage").document(today)
    usage.collection("users").document(frank).set({"media_s": 3 * 3600.0, "cost_usd": 1.0})
    tab = open_viewer(frank)
    tab.page.get_by_label("Upload media").set_input_files(str(SAMPLES / "interview.mp4"))
    tab.page.get_by_role("button", name="Upload", exact=True).click()
    status = tab.page.get_by_role("status")
    expect(status).to_contain_text("Not uploaded: your daily limit of 2 media hours is reached.")
    expect(status).to_contain_text("Uploads reopen")
    assert not list(clients.storage_client().bucket(BUCKET).list_blobs(prefix=f"uploads/{frank}/"))
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
