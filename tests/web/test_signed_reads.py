"""Media and downloads through the path production uses: the viewer asks the reads function
(`media_url`) with the user's ID token, and the browser reads through the signed URL it answers,
here from the stack's signed-URL gateway (Cloud Storage's part), never from the storage emulator
directly. Durations read the same in the list and on the page."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pysubs2
import pytest
from playwright.sync_api import Request, expect

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from stack.accounts import id_token
from stack.local import READS_TARGET, LocalStack
from tests.web.conftest import Tab, wait_for
from tests.web.test_viewer import open_first, wait_painted

pytestmark = [pytest.mark.emulator, pytest.mark.browser]


def signed_reads(requests: list[Request], gateway: str) -> list[str]:
    """The object paths the page read through signed URLs of the gateway."""
    return [
        urllib.parse.unquote(urllib.parse.urlsplit(r.url).path)
        for r in requests
        if r.url.startswith(gateway) and "X-Goog-Signature=" in r.url and r.method == "GET"
    ]


def test_the_media_plays_and_each_download_opens_through_a_signed_url(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    local: LocalStack,
    tmp_path: Path,
) -> None:
    assert local.gateway is not None
    owner = uid("gina")
    name = upload("interview.mp4", owner)
    tab = open_viewer(owner)
    requests: list[Request] = []
    tab.page.on("request", lambda request: requests.append(request))
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    open_first(tab, "interview.mp4")
    wait_painted(tab.page)
    page = tab.page

    wait_for(page, "() => document.getElementById('player').readyState >= 2")
    assert page.evaluate("document.getElementById('player').src").startswith(local.gateway.url)
    page.evaluate("(p => { p.muted = true; return p.play(); })(document.getElementById('player'))")
    wait_for(page, "() => document.getElementById('player').currentTime > 0.5")
    page.evaluate("document.getElementById('player').pause()")

    files = {}
    for label, kind in {"WebVTT": "vtt", "SRT": "srt", "JSON": "json"}.items():
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        assert info.value.suggested_filename == f"interview.{kind}"
        assert (
            info.value.url.startswith(local.gateway.url) and "X-Goog-Signature=" in info.value.url
        )
        files[kind] = tmp_path / f"interview.{kind}"
        info.value.save_as(files[kind])
    subtitles = pysubs2.load(str(files["vtt"]))
    assert len(subtitles) == 14 and subtitles[0].start == 0
    assert "Daniel Price" in files["vtt"].read_text()  # the voices, as <v Name>
    assert [s["name"] for s in json.loads(files["json"].read_text())["speakers"]] == [
        "Daniel Price",
        "Marta Silva",
    ]

    read = signed_reads(requests, local.gateway.url)
    assert read[0] == f"/tabscribe-uploads/{name}"  # the media first, then the three exports
    assert sorted(path.rsplit(".", 1)[1] for path in read[1:] if "/results/" in path) == [
        "json",
        "srt",
        "vtt",
    ]
    storage = local.env["STORAGE_EMULATOR_HOST"]
    assert not [r.url for r in requests if r.url.startswith(storage)]  # never the emulator
    assert sum(r.url.startswith(local.url(READS_TARGET)) for r in requests) >= 4
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab


def test_another_user_s_read_is_refused_by_the_stack_s_function(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    local: LocalStack,
) -> None:
    """Alice's media, asked for with bob's ID token from the stack's Auth emulator: 403; with
    hers: a signed URL."""
    alice, bob = uid("alice"), uid("bob")
    upload("interview.mp4", alice)
    mine = open_viewer(alice)
    expect(mine.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    doc_id = mine.page.locator("li.doc").first.get_attribute("data-id")
    body = json.dumps({"transcription": doc_id, "object": "source"}).encode()

    def ask(who: str) -> tuple[int, dict[str, str]]:
        token = id_token(local.env["FIREBASE_AUTH_EMULATOR_HOST"], who)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        request = urllib.request.Request(local.url(READS_TARGET), body, headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert ask(bob) == (403, {"error": "this transcription is not yours"})
    status, grant = ask(alice)
    assert local.gateway is not None
    assert status == 200 and grant["url"].startswith(local.gateway.url)


def test_durations_read_the_same_in_the_list_and_on_the_page(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str]
) -> None:
    owner = uid("hana")
    doc = clients.firestore_client().collection(TRANSCRIPTIONS).document(f"{'d' * 26}{owner[-6:]}")
    doc.set(
        {
            "owner": owner,
            "status": "completed",
            "source": {"bucket": "b", "name": f"uploads/{owner}/long.mp4"},
            "duration_ms": 6_000_000,
            "created_at": dt.datetime.now(dt.UTC),
        }
    )
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .facts")).to_contain_text("Duration 1:40:00")
    open_first(tab, "long.mp4")
    expect(tab.page.locator(".status-line")).to_contain_text("Duration 1:40:00")


def test_the_player_asks_for_a_new_url_once_its_own_has_lapsed(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    local: LocalStack,
) -> None:
    """Signed URLs of 2 s (the reads function restarted with them): a read the player makes
    after its URL lapsed is refused by the gateway (ExpiredToken), and the viewer asks for a new
    URL and goes on from where the player stood."""
    owner = uid("ines")
    upload("interview.mp4", owner)
    local.restart(READS_TARGET, {"TABSCRIBE_SIGNED_URL_S": "2"})
    try:
        tab = open_viewer(owner)
        expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
        open_first(tab, "interview.mp4")
        page = tab.page
        wait_for(page, "() => document.getElementById('player').readyState >= 1")
        first = page.evaluate("document.getElementById('player').src")
        page.evaluate("document.getElementById('player').currentTime = 3")
        wait_for(page, "() => !document.getElementById('player').seeking")
        page.wait_for_timeout(3_000)  # the URL lapses
        cdp = page.context.new_cdp_session(page)  # a read the browser's cache cannot answer
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.evaluate("document.getElementById('player').load()")  # the player reads again
        wait_for(page, f"() => document.getElementById('player').src !== {json.dumps(first)}")
        wait_for(page, "() => document.getElementById('player').readyState >= 1")
        assert page.evaluate("document.getElementById('player').error") is None
        assert page.evaluate("document.getElementById('player').currentTime") == 3
        assert any("status of 400" in line for line in tab.console)  # the lapsed URL's read
    finally:
        local.restart(READS_TARGET)
