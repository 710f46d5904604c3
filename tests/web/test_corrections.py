"""Speaker corrections by the owner, in the viewer, through the corrections function
(`correct_transcription`) as deployed: rename a speaker inline, "same person as…", undo, the
"edited" mark, the downloaded WebVTT carrying the corrected voices, the rename carried over to
a new upload of the media (`carry_corrections` on the events topic), and another user refused."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pysubs2
import pytest
from playwright.sync_api import Page, expect

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from stack.accounts import id_token
from stack.local import CORRECTIONS_TARGET, LocalStack
from tests.web.conftest import Tab
from tests.web.test_viewer import open_first, rows, wait_painted

pytestmark = [pytest.mark.emulator, pytest.mark.browser]
SEGMENTS = 14  # interview.mp4's authored answer: Daniel Price (voice 1), Marta Silva (voice 2)


def speaker_names(page: Page) -> list[str]:
    return [n.strip() for n in page.locator("table.speakers tbody th").all_inner_texts()]


def row_voices(page: Page) -> set[str]:
    return set(rows(page).locator(".who").all_inner_texts())


def vtt_voices(page: Page, path: Path) -> set[str]:
    """The voices (<v Name>) of the WebVTT the page downloads now."""
    with page.expect_download() as info:
        page.get_by_role("link", name="WebVTT").click()
    info.value.save_as(path)
    subtitles = pysubs2.load(str(path), keep_html_tags=True)
    assert len(subtitles) == SEGMENTS
    return {line.text.split(">", 1)[0].removeprefix("<v ") for line in subtitles}


def opened(open_viewer: Callable[..., Tab], owner: str) -> Tab:
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    open_first(tab, "interview.mp4")
    wait_painted(tab.page)
    return tab


def test_rename_merge_and_undo_follow_in_the_table_the_transcript_and_the_download(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    tmp_path: Path,
) -> None:
    owner = uid("ines")
    upload("interview.mp4", owner)
    tab = opened(open_viewer, owner)
    page = tab.page
    assert speaker_names(page) == ["Daniel Price", "Marta Silva"]
    expect(page.get_by_role("button", name="Undo last correction")).to_have_count(0)

    page.get_by_role("button", name="Rename Daniel Price").click()
    page.get_by_label("Name", exact=True).fill("Dan Pryce")
    page.get_by_label("Company", exact=True).fill("Radio Notes")
    page.get_by_role("button", name="Save").click()
    first = page.locator("table.speakers tbody tr").first
    expect(first.locator("th")).to_contain_text("Dan Pryce")
    expect(first.locator(".edited")).to_have_text("edited")
    expect(first).to_contain_text("Radio Notes")
    expect(page.locator(".correction-message")).to_have_text("Renamed.")
    expect(rows(page).locator(".who", has_text="Dan Pryce").first).to_be_visible()
    assert row_voices(page) == {"Dan Pryce", "Marta Silva"}
    assert page.locator("table.speakers .edited").count() == 1  # Marta is not marked
    assert vtt_voices(page, tmp_path / "renamed.vtt") == {"Dan Pryce", "Marta Silva"}

    page.get_by_label("Marta Silva is the same person as…").select_option(label="Dan Pryce")
    expect(page.locator("table.speakers tbody tr")).to_have_count(1)
    expect(page.locator(".correction-message")).to_have_text("Merged.")
    expect(rows(page).locator(".who", has_text="Marta Silva")).to_have_count(0)
    assert row_voices(page) == {"Dan Pryce"} and rows(page).count() == SEGMENTS
    assert vtt_voices(page, tmp_path / "merged.vtt") == {"Dan Pryce"}

    page.get_by_role("button", name="Undo last correction").click()  # the merge
    expect(page.locator("table.speakers tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Undo last correction").click()  # the rename
    expect(page.locator(".correction-message")).to_have_text("Undone.")
    expect(page.get_by_role("button", name="Undo last correction")).to_have_count(0)
    assert speaker_names(page) == ["Daniel Price", "Marta Silva"]
    expect(page.locator("table.speakers .edited")).to_have_count(0)
    assert row_voices(page) == {"Daniel Price", "Marta Silva"}
    assert vtt_voices(page, tmp_path / "undone.vtt") == {"Daniel Price", "Marta Silva"}
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab


def test_a_rename_is_carried_over_to_the_media_uploaded_again(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
) -> None:
    owner = uid("kai")
    upload("interview.mp4", owner)
    page = opened(open_viewer, owner).page
    page.get_by_role("button", name="Rename Marta Silva").click()
    page.get_by_label("Name", exact=True).fill("Marta Silva-Reyes")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".correction-message")).to_have_text("Renamed.")
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(page.url.rsplit("/")[-1])
    before = ref.get().get("run")

    upload("interview.mp4", owner)  # a new generation: a new run, then the carry
    deadline = time.monotonic() + 60
    while not (ref.get().to_dict() or {}).get("corrections", {}).get("carried"):
        assert time.monotonic() < deadline, "the rename was not carried over"
        time.sleep(0.5)
    assert ref.get().get("run") != before
    row = page.locator("table.speakers tbody tr").nth(1)
    expect(row.locator("th")).to_contain_text("Marta Silva-Reyes")
    expect(row.locator(".edited")).to_have_count(1)
    expect(rows(page).locator(".who", has_text="Marta Silva-Reyes").first).to_be_visible()


def test_a_refused_correction_is_said_and_changes_nothing(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], upload: Callable[[str, str], str]
) -> None:
    owner = uid("jon")
    upload("interview.mp4", owner)
    page = opened(open_viewer, owner).page
    page.get_by_role("button", name="Rename Marta Silva").click()
    page.get_by_label("Name", exact=True).fill("Marta\u202eSilva")  # a bidi override: 400
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Not corrected: `name` must not contain")
    page.get_by_role("button", name="Cancel").click()
    assert speaker_names(page) == ["Daniel Price", "Marta Silva"]
    expect(page.locator("table.speakers .edited")).to_have_count(0)


def test_another_user_s_correction_is_refused_and_nothing_changes(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    local: LocalStack,
) -> None:
    alice, bob = uid("alice"), uid("bob")
    upload("interview.mp4", alice)
    tab = opened(open_viewer, alice)
    doc_id = tab.page.url.rsplit("/", 1)[1]
    rename = {"action": "rename", "voice": 1, "speaker": {"name": "Mallory"}}

    def ask(who: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        token = id_token(local.env["FIREBASE_AUTH_EMULATOR_HOST"], who)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        data = json.dumps({"transcription": doc_id, **body}).encode()
        request = urllib.request.Request(local.url(CORRECTIONS_TARGET), data, headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert ask(bob, rename) == (403, {"error": "no transcription of yours has this id"})
    assert ask(bob, {"action": "undo"})[0] == 403
    assert speaker_names(tab.page) == ["Daniel Price", "Marta Silva"]
    tab.page.reload()
    wait_painted(tab.page)
    assert speaker_names(tab.page) == ["Daniel Price", "Marta Silva"]
    expect(tab.page.locator("table.speakers .edited")).to_have_count(0)
    expect(tab.page.get_by_role("button", name="Undo last correction")).to_have_count(0)
    assert ask(alice, rename)[0] == 200  # the same correction, by the owner: made
    expect(tab.page.locator("table.speakers tbody th").first).to_contain_text("Mallory")
