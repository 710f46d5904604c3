"""How the viewer decides who reads: a uid chosen locally, Google sign-in in production."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, expect

from stack.local import LocalStack
from stack.web import Viewer
from tests.web.conftest import PRODUCTION, Tab

pytestmark = [pytest.mark.emulator, pytest.mark.browser]


@pytest.fixture
def production_viewer() -> Iterator[Viewer]:
    viewer = Viewer(PRODUCTION)  # the same web/dist, with a production config.json
    viewer.start()
    yield viewer
    viewer.stop()


def test_production_asks_to_sign_in_with_google_and_reads_nothing_before(
    browser: Browser, production_viewer: Viewer
) -> None:
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    crashes: list[str] = []
    page.on("pageerror", lambda e: crashes.append(str(e)))
    try:
        page.goto(production_viewer.url())
        expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
        assert page.evaluate("window.tabscribe.reads.documents") == 0
        assert page.locator("ul.docs, ol.transcript").count() == 0
        assert all(url.startswith(production_viewer.url()) for url in requests), requests
        assert not crashes, crashes
    finally:
        page.close()


def test_locally_without_a_uid_the_viewer_asks_for_one(
    open_viewer: Callable[..., Tab], local: LocalStack
) -> None:
    tab = open_viewer(None)
    field = tab.page.get_by_label("User id")
    expect(field).to_be_visible()
    field.fill("nobody-yet")
    field.press("Enter")
    expect(tab.page.get_by_text("Signed in as nobody-yet")).to_be_visible()
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
    assert tab.reads()["documents"] == 0 and not tab.crashes
