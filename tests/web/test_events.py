"""Sound events in the viewer (decision 0025): the keynote uploaded with `events=true` shows its
authored events inline in grey, between the rows they fall between, at desktop and phone width."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from stack.follow import put
from tests.paths import ROOT
from tests.web.conftest import SAMPLES, Tab
from tests.web.test_viewer import open_first, rows, wait_painted

pytestmark = [pytest.mark.emulator, pytest.mark.browser]
EVENTS = json.loads((ROOT / "standin" / "responses" / "keynote.json").read_text())["events"]


@pytest.mark.parametrize("width", [1280, 390])
def test_sound_events_stand_inline_in_grey_between_their_rows(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], width: int
) -> None:
    owner = uid("sounds")
    put(SAMPLES / "keynote.mp4", owner, {"events": "true"})
    tab = open_viewer(owner, width=width)
    expect(tab.page.locator("li.doc .badge")).to_have_text("completed", timeout=60_000)
    open_first(tab, "keynote.mp4")
    wait_painted(tab.page)
    sounds = tab.page.locator("ol.transcript > li.sound")
    expect(sounds).to_have_count(len(EVENTS))
    assert [" ".join(text.split()) for text in sounds.all_inner_texts()] == [
        "00:15 [applause]",
        "09:15 [applause]",
        "10:11 [applause]",
    ]
    placed = tab.page.evaluate(
        "[...document.querySelectorAll('li.sound')].map(s => [s.previousElementSibling?.dataset"
        ".start, s.dataset.start, s.nextElementSibling?.dataset.start].map(Number))"
    )
    assert all(before <= at < after for before, at, after in placed[:2]), placed
    grey = tab.page.evaluate("getComputedStyle(document.querySelector('li.sound')).color")
    muted = tab.page.evaluate("getComputedStyle(document.querySelector('.seg .tc')).color")
    assert grey == muted  # the timecodes' grey
    expect(rows(tab.page).and_(tab.page.locator(".seg"))).to_have_count(218)
    expect(tab.page.locator("#row-count")).to_have_text("218 segments")
    tab.page.locator("#search").fill("Amara")
    expect(sounds.first).to_be_hidden()  # a filter shows matching rows alone
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab
