"""The viewer in a real browser (Debian's Chromium, driven by Playwright) against the whole local
stack the end-to-end tests share (tests/conftest.py): emulators with the security rules, the
functions, the Gemini API stand-in, and the viewer's own static server. `make test` installs
Chromium and builds `web/dist` first."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from functions.core.documents import transcription_id
from stack.follow import put, wait_for_terminal
from stack.local import BUCKET, LocalStack
from stack.web import CHROMIUM, CHROMIUM_ARGS
from tests.paths import ROOT
from tests.web.enriched import add_in_flight, asks, enrich

SAMPLES = ROOT / "samples"
# The emulators answer in milliseconds when the machine is idle and in seconds when it is busy.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

# The shape Terraform's `viewer_config` output gives a deployed viewer (values are made up).
PRODUCTION = {
    "database": "(default)",
    "firebase": {
        "apiKey": "test-api-key",
        "authDomain": "example-project.firebaseapp.com",
        "projectId": "example-project",
        "appId": "1:123:web:abc",
    },
}


@pytest.fixture
def local(local: LocalStack) -> LocalStack:
    """The default shared stack (tests/conftest.py), its viewer built."""
    assert local.viewer is not None and local.viewer.built, "web/dist missing: `make web`"
    return local


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page in its own browser context, with what its console and runtime reported."""

    page: Page
    console: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    def reads(self) -> dict[str, Any]:
        """{documents, snapshots, paths}: what the page received from Firestore."""
        result: dict[str, Any] = self.page.evaluate("({...window.tabscribe.reads})")
        return result


@pytest.fixture
def open_viewer(local: LocalStack, browser: Browser) -> Iterator[Callable[..., Tab]]:
    """open_viewer(uid, fragment="", width=1280) -> a Tab on the viewer as that user."""
    contexts = []

    def open_(uid: str | None, fragment: str = "", width: int = 1280) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.set_default_timeout(WAIT_MS)
        tab.page.on("console", lambda m: _on_console(tab, m))
        tab.page.on("pageerror", lambda e: tab.crashes.append(str(e)))
        assert local.viewer is not None
        tab.page.goto(local.viewer.url(uid, fragment))
        return tab

    yield open_
    for context in contexts:
        context.close()


def _on_console(tab: Tab, message: ConsoleMessage) -> None:
    tab.console.append(f"{message.type}: {message.text}")


@pytest.fixture
def uid() -> Callable[[str], str]:
    """A fresh user id per test: its uploads are its own, whatever ran before."""
    suffix = uuid.uuid4().hex[:6]
    return lambda name: f"{name}-{suffix}"


@pytest.fixture
def upload(local: LocalStack) -> Callable[[str, str], str]:
    """upload(sample file name, owner) -> the object name, under uploads/<owner>/. A name not
    among the samples is a file of the repository (to upload something that is not media)."""

    def upload_(sample: str, owner: str) -> str:
        path = SAMPLES / sample if (SAMPLES / sample).exists() else ROOT / sample
        return str(put(path, owner, {}).name)

    return upload_


@pytest.fixture
def enriched(local: LocalStack, standin: Callable[[str, Any], Any]) -> Callable[..., str]:
    """enriched(file, owner, metadata={}) -> the id of the owner's transcription of the sample
    `file`, transcribed and enriched by the stack (tests/web/enriched.py): French with one row
    left out, Spanish failed, the chapters and summary where the stand-in has them, and a German
    translation in flight."""

    def enriched_(file: str, owner: str, metadata: dict[str, str] | None = None) -> str:
        sample = file.rsplit(".", 1)[0]
        standin("config", {"translation_fault": "missing_row"})
        blob = put(SAMPLES / file, owner, {**asks(sample), **(metadata or {})})
        assert wait_for_terminal(blob.name, local.logs, blob.generation)["status"] == "completed"
        tid = transcription_id(BUCKET, blob.name)
        enrich(tid, sample, standin)
        add_in_flight(tid)
        return tid

    return enriched_


@pytest.fixture
def standin(local: LocalStack) -> Iterator[Callable[[str, Any], Any]]:
    """POST to the stand-in's control API; settings and faults are reset afterwards."""

    def call(path: str, body: Any) -> Any:
        url = f"{local.env['TABSCRIBE_GEMINI_BASE_URL']}/_standin/{path}"
        request = urllib.request.Request(
            url, json.dumps(body).encode(), {"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    yield call
    call("reset", {})


def authored_speakers(sample: str) -> list[str]:
    """The speaker names the stand-in's authored answer for `sample` gives (docs/samples.md)."""
    response = json.loads((ROOT / "standin" / "responses" / f"{sample}.json").read_text())
    return [speaker["name"] or "?" for speaker in response["speakers"]]


def wait_for(page: Page, expression: str, timeout: float = 30_000) -> None:
    """Until `expression` (JavaScript) is true in the page, evaluated from here every 50 ms.
    Playwright's `wait_for_function` polls with `eval` inside the page, which the viewer's
    Content-Security-Policy refuses (no 'unsafe-eval'), so it fails whenever it must poll."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not within {timeout / 1000:g} s: {expression}"
        time.sleep(0.05)
