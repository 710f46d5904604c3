"""The bridge: header encoding of any object name, the retry schedule, giving up with a log line."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from google.cloud import storage

from functions.core import clients
from stack.bridge import GAVE_UP, Bridge, RetryPolicy, shown
from stack.events import header_value, storage_event
from stack.services import free_port


def test_any_object_name_makes_a_valid_header() -> None:
    name = 'uploads/ané/my "talk"\n100%.mp4'
    encoded = header_value(f"objects/{name}")
    assert encoded == "objects/uploads/an%C3%A9/my%20%22talk%22%0A100%25.mp4"
    headers, _ = storage_event({"bucket": "b", "name": name})
    urllib.request.Request("http://127.0.0.1/", b"{}", headers)  # would raise on a bad header
    assert shown(name) == 'uploads/ané/my "talk"\\n100%.mp4'


def test_the_retry_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=8, max_age_s=60, first_delay_s=1, max_delay_s=10)
    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[storage.Bucket]:
    """A bucket in a Cloud Storage emulator of this test's own (the session's emulators would
    leave STORAGE_EMULATOR_HOST set for the tests that follow)."""
    from gcp_storage_emulator.server import create_server

    port = free_port()
    emulator = create_server("127.0.0.1", port, in_memory=True)
    emulator.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "tabscribe-test")
    clients.storage_client.cache_clear()
    try:
        yield clients.storage_client().create_bucket("bridge-test")
    finally:
        clients.storage_client.cache_clear()
        emulator.stop()


@pytest.mark.emulator
def test_a_delivery_that_keeps_failing_is_retried_then_given_up_with_a_log_line(
    bucket: storage.Bucket, tmp_path: Path
) -> None:
    posts: list[str] = []

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(self.headers["ce-subject"])
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log = tmp_path / "bridge.log"
    policy = RetryPolicy(attempts=3, max_age_s=60, first_delay_s=0.2, max_delay_s=0.4)
    bridge = Bridge(bucket.name, f"http://127.0.0.1:{server.server_port}/", log, policy)
    bridge.start()
    try:
        bucket.blob("uploads/u/ça\nva.mp4").upload_from_string(b"x")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and GAVE_UP not in (
            log.read_text() if log.exists() else ""
        ):
            time.sleep(0.1)
    finally:
        bridge.stop()
        server.shutdown()
    lines = log.read_text().splitlines()
    assert posts == ["objects/uploads/u/%C3%A7a%0Ava.mp4"] * 3
    assert [line.split(": ")[-1] for line in lines[:3]] == ["503"] * 3
    assert len(lines) == 4 and f"{GAVE_UP} uploads/u/ça\\nva.mp4#" in lines[3]
    assert "after 3 attempt(s) (3 attempts): 503" in lines[3]


def test_a_delivery_past_the_max_age_is_given_up(tmp_path: Path) -> None:
    log = tmp_path / "bridge.log"
    policy = RetryPolicy(attempts=10, max_age_s=0.5, first_delay_s=1, max_delay_s=1)
    bridge = Bridge("b", "http://127.0.0.1:9/", log, policy)  # the discard port: refused
    bridge._deliver({"bucket": "b", "name": "uploads/u/a.mp4", "generation": "1"})
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and "attempt 1: error:" in lines[0]
    assert f"{GAVE_UP} uploads/u/a.mp4#1 after 1 attempt(s) (max age)" in lines[1]
