"""The viewer as a person uses it: live progress, the speakers and transcript, search, filters,
the player, exports, another user's view, failure states, phone width and the keyboard."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from stack.local import BUCKET, LocalStack
from tests.paths import ROOT
from tests.web.conftest import Tab, authored_speakers, wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.browser]
SCREENSHOTS = ROOT / ".local" / "screenshots"
SLOW_TOKENS_PER_S = 400  # the keynote (about 3,000 tokens) streams for about 8 s


def open_first(tab: Tab, name: str) -> None:
    """From the list, open the transcription of `name`."""
    tab.page.get_by_role("link", name=name).click()
    expect(tab.page.locator("#status")).to_be_visible()


def wait_painted(page: Page) -> None:
    expect(page.locator("#app[data-painted]")).to_have_count(1, timeout=30_000)


def rows(page: Page) -> Any:
    return page.locator("ol.transcript > li:not([hidden])")


def test_progress_then_the_transcript_with_the_authored_speakers(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    standin: Callable[[str, Any], Any],
) -> None:
    standin("config", {"token_rate": SLOW_TOKENS_PER_S})
    alice = uid("alice")
    tab = open_viewer(alice)
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
    upload("keynote.mp4", alice)

    item = tab.page.locator("li.doc", has_text="keynote.mp4")
    expect(item.locator(".badge")).to_have_text("processing", timeout=30_000)
    bar = item.locator("progress")
    expect(bar).to_be_visible()
    wait_for(
        tab.page,
        "() => Number(document.querySelector('li.doc progress')?.value) > 0.05",
        timeout=30_000,
    )

    open_first(tab, "keynote.mp4")
    expect(tab.page.locator("#status")).to_have_text("processing")
    first = rows(tab.page).count()
    wait_for(tab.page, f"() => document.querySelectorAll('ol.transcript > li').length > {first}")
    expect(tab.page.locator("#status")).to_have_text("completed", timeout=60_000)
    wait_painted(tab.page)

    expect(rows(tab.page)).to_have_count(218)
    names = tab.page.locator("table.speakers tbody th").all_inner_texts()
    assert [n.strip() for n in names] == authored_speakers("keynote")
    assert tab.page.locator("table.speakers tr.known").count() == 5
    tab.page.get_by_role("link", name="← My transcriptions").click()
    expect(item.locator(".badge")).to_have_text("completed")
    expect(item.locator(".facts")).to_contain_text("Uploaded ")
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab


def test_another_user_sees_neither_the_document_nor_its_pages(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], upload: Callable[[str, str], str]
) -> None:
    alice, bob = uid("alice"), uid("bob")
    upload("interview.mp4", alice)
    upload("podcast.m4a", bob)
    mine = open_viewer(alice)
    link = mine.page.get_by_role("link", name="interview.mp4")
    expect(link).to_be_visible(timeout=30_000)
    doc_id = mine.page.locator("li.doc").first.get_attribute("data-id")
    assert doc_id

    theirs = open_viewer(bob)
    expect(theirs.page.get_by_role("link", name="podcast.m4a")).to_be_visible(timeout=30_000)
    expect(theirs.page.get_by_role("link", name="interview.mp4")).to_have_count(0)

    theirs.page.goto(theirs.page.url.split("#")[0] + f"#/t/{doc_id}")
    expect(theirs.page.get_by_role("alert")).to_have_text("Not found, or not yours to read.")
    expect(theirs.page.locator("ol.transcript")).to_have_count(0)
    denied = [line for line in theirs.console if "permission-denied" in line]
    assert all(line.startswith("error:") for line in denied), theirs.console
    assert any("this transcription" in line for line in denied), theirs.console
    # the pages are asked for by the run the document names: with the document denied, the
    # viewer never asks (tests/infra/test_firestore_rules.py: bob's page queries are denied)
    assert not any("pages" in line for line in theirs.console), theirs.console
    received = theirs.reads()["paths"]  # bob's own podcast in his list, nothing of alice's
    assert len(received) == 1 and not any(doc_id in path for path in received), received
    assert not theirs.crashes, theirs.crashes


@pytest.fixture
def interview(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], upload: Callable[[str, str], str]
) -> Tab:
    """The interview sample's page, completed and painted, as its owner sees it."""
    owner = uid("alice")
    upload("interview.mp4", owner)
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    open_first(tab, "interview.mp4")
    wait_painted(tab.page)
    return tab


def test_search_and_the_speaker_filter_narrow_the_rows(interview: Tab) -> None:
    page = interview.page
    expect(rows(page)).to_have_count(14)
    page.get_by_label("Search").fill("honey")
    expect(rows(page)).to_have_count(2)
    assert page.locator("ol.transcript > li:visible").count() == 2  # the others are not drawn
    expect(page.locator("#row-count")).to_have_text("2 of 14 segments")
    tab_stop = page.locator("li.seg[tabindex='0']")
    expect(tab_stop).to_have_count(1)
    expect(tab_stop).to_be_visible()  # the keyboard enters at a row that is shown
    page.get_by_label("Search").fill("")
    page.get_by_label("Speaker", exact=True).select_option(label="Marta Silva")
    expect(rows(page)).to_have_count(7)
    assert set(rows(page).locator(".who").all_inner_texts()) == {"Marta Silva"}
    page.get_by_label("Search").fill("bees")
    expect(rows(page)).to_have_count(2)  # hers that mention bees, not his


def player_time(page: Page) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


def test_clicking_a_row_or_pressing_enter_seeks_and_playback_highlights(interview: Tab) -> None:
    page = interview.page
    wait_for(page, "document.getElementById('player').readyState >= 1")
    page.locator("li.seg[data-start='28000']").click()
    assert player_time(page) == pytest.approx(28.0, abs=0.3)
    expect(page.locator("li.seg.current")).to_have_attribute("data-start", "28000")

    row = page.locator("li.seg[data-start='40000']")
    row.focus()
    page.keyboard.press("Enter")
    assert player_time(page) == pytest.approx(40.0, abs=0.3)
    page.keyboard.press("ArrowDown")
    expect(page.locator("li.seg[data-start='43000']")).to_be_focused()
    tab_stops = page.locator("li.seg[tabindex='0']")  # one row at a time is a tab stop
    expect(tab_stops).to_have_count(1)
    expect(tab_stops).to_have_attribute("data-start", "43000")

    page.locator("a.evidence").nth(1).click()  # Marta Silva's evidence at 00:08
    assert player_time(page) == pytest.approx(8.0, abs=0.3)
    page.evaluate("(p => { p.muted = true; return p.play(); })(document.getElementById('player'))")
    expect(page.locator("li.seg.current")).to_have_attribute("data-start", "12000", timeout=15_000)
    page.evaluate("document.getElementById('player').pause()")


def test_the_exports_download(interview: Tab, tmp_path: Path) -> None:
    page = interview.page
    expected = {"WebVTT": "interview.vtt", "SRT": "interview.srt", "JSON": "interview.json"}
    texts = {}
    for label, name in expected.items():
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        assert info.value.suggested_filename == name
        target = tmp_path / name
        info.value.save_as(target)
        texts[label] = target.read_text()
    assert texts["WebVTT"].startswith("WEBVTT") and "<v Daniel Price>" in texts["WebVTT"]
    assert "Marta Silva: " in texts["SRT"]
    speakers = json.loads(texts["JSON"])["speakers"]
    assert [s["name"] for s in speakers] == ["Daniel Price", "Marta Silva"]


def test_opening_a_transcript_reads_the_document_and_its_pages_once(
    interview: Tab, open_viewer: Callable[..., Tab]
) -> None:
    # the store's last write (the exports, with the completion event) has landed
    expect(interview.page.get_by_role("link", name="WebVTT")).to_be_visible()
    owner = interview.page.url.split("uid=")[1].split("#")[0]
    fresh = open_viewer(owner, interview.page.url.split("#")[1])
    wait_painted(fresh.page)
    expect(rows(fresh.page)).to_have_count(14)
    assert fresh.reads()["documents"] == 2  # the transcription and its one page


GREY = "rgb(107, 114, 128)"


def keynote_without(voice: int) -> dict[str, Any]:
    """The keynote's authored answer with one speaker left out of the speaker table: that voice
    still speaks, unidentified (a placeholder)."""
    response = json.loads((ROOT / "standin" / "responses" / "keynote.json").read_text())
    response["speakers"] = [
        s for s in response["speakers"] if not (s["voice"] == voice and "Audience" in s["role"])
    ]
    return response


def test_unidentified_speakers_are_grey_issues_collapsed_evidence_reveals_its_row(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    standin: Callable[[str, Any], Any],
) -> None:
    standin("responses", keynote_without(4))
    owner = uid("erin")
    upload("keynote.mp4", owner)
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    open_first(tab, "keynote.mp4")
    wait_painted(tab.page)
    page = tab.page

    unknown = page.locator("table.speakers tr.unknown th")
    expect(unknown).to_have_text("Voice 4")
    assert page.locator("table.speakers tr.known").count() == 4
    grey = page.locator("li.seg.unknown .who").first
    assert grey.evaluate("e => getComputedStyle(e).color") == GREY
    known = page.locator("li.seg.known .who").first
    assert known.evaluate("e => getComputedStyle(e).color") != GREY
    wait_for(page, "document.getElementById('player').readyState >= 2")  # a frame shows
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # docs/images/transcription.png is this one
    shot = page.screenshot(path=str(SCREENSHOTS / "transcription.png"))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"

    issues = page.locator("details.issues")
    assert issues.get_attribute("open") is None
    expect(issues.locator("li")).not_to_be_visible()
    issues.locator("summary").click()
    expect(issues.locator("li").first).to_be_visible()

    page.get_by_role("link", name="Play the evidence for Priya Nair at 09:21").click()
    current = page.locator("li.seg.current")
    expect(current).to_contain_text("Priya Nair")
    expect(current).to_be_in_viewport()

    page.evaluate("window.scrollTo(0, 0)")  # while playing, the highlighted row comes into view
    expect(current).not_to_be_in_viewport()
    page.evaluate("(p => { p.muted = true; return p.play(); })(document.getElementById('player'))")
    expect(current).to_have_attribute("data-start", "564000", timeout=15_000)  # 09:24
    expect(current).to_be_in_viewport()
    page.evaluate("document.getElementById('player').pause()")


@pytest.mark.parametrize(
    ("sample", "fault", "status"),
    [
        ("podcast.m4a", {"prompt_block": "PROHIBITED_CONTENT", "times": 1}, "blocked"),
        ("interview.mp4", {"malformed": True, "times": 1}, "failed"),
        ("firestore.rules", {}, "rejected"),  # not media
    ],
)
def test_a_transcription_that_did_not_complete_says_why(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    upload: Callable[[str, str], str],
    standin: Callable[[str, Any], Any],
    sample: str,
    fault: dict[str, Any],
    status: str,
) -> None:
    standin("faults", {"faults": [fault] if fault else []})
    owner = uid("carol")
    upload(sample, owner)
    tab = open_viewer(owner)
    expect(tab.page.locator("li.doc .badge")).to_have_text(status, timeout=60_000)
    open_first(tab, Path(sample).name)
    alert = tab.page.get_by_role("alert")
    expect(alert).to_contain_text(f"{status.capitalize()}: ")
    assert len(alert.inner_text()) > len(f"{status}: ") + 5  # the reason is shown
    expect(tab.page.locator("#row-count")).to_have_text("No transcript.")
    expect(tab.page.get_by_label("Search")).to_be_hidden()


def test_phone_width_has_no_horizontal_scrolling_and_labelled_controls(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], upload: Callable[[str, str], str]
) -> None:
    owner = uid("dana")
    upload("keynote.mp4", owner)
    tab = open_viewer(owner, width=390)
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    open_first(tab, "keynote.mp4")
    wait_painted(tab.page)
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    unlabelled = tab.page.evaluate(
        "[...document.querySelectorAll('input, select, progress, video, audio')]"
        ".filter(e => !e.labels?.length && !e.getAttribute('aria-label')).map(e => e.outerHTML)"
    )
    assert unlabelled == []
    tab.page.keyboard.press("Tab")
    for _ in range(30):  # the keyboard reaches the transcript rows
        if tab.page.evaluate("document.activeElement.matches('li.seg')"):
            break
        tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.dataset.start") == "0"


def test_the_storage_emulator_serves_media_as_the_player_needs(
    local: LocalStack, uid: Callable[[str], str], upload: Callable[[str, str], str]
) -> None:
    """What the signed-URL gateway answers a signed GET from (stack/signed.py, decision 0022):
    the stored content type, ranged reads, and the attachment disposition the URL signed."""
    name = upload("interview.mp4", uid("frank"))
    base = f"{local.env['STORAGE_EMULATOR_HOST']}/download/storage/v1/b/{BUCKET}/o/"
    url = base + urllib.parse.quote(name, safe="") + "?alt=media"
    request = urllib.request.Request(url, headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.headers["Content-Range"].startswith("bytes 100-199/")
        assert len(response.read()) == 100
    disposition = urllib.parse.quote('attachment; filename="a.mp4"')
    with urllib.request.urlopen(f"{url}&response-content-disposition={disposition}") as response:
        assert response.headers["Content-Disposition"] == 'attachment; filename="a.mp4"'
