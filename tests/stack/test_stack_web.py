"""The local stack's static server for the viewer: the built files and the emulators' config."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stack.web import Viewer, viewer_config


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


@pytest.fixture
def viewer(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    env = {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8081", "STORAGE_EMULATOR_HOST": "http://h:9"}
    server = Viewer(viewer_config(env, "p"), dist=tmp_path)
    server.start()
    yield server
    server.stop()


def test_serves_the_app_and_the_emulators_config(viewer: Viewer) -> None:
    assert viewer.built
    status, kind, body = get(viewer.url("alice"))
    assert (status, kind) == (200, "text/html") and b"<title>t</title>" in body
    status, kind, body = get(viewer.url() + "config.json")
    assert (status, kind) == (200, "application/json")
    assert json.loads(body) == {
        "project": "p",
        "emulator": "127.0.0.1:8081",
        "storage": "http://h:9",
    }


def test_nothing_outside_the_built_app(viewer: Viewer) -> None:
    assert get(viewer.url() + "../pyproject.toml")[0] == 404
    assert get(viewer.url() + "%2e%2e/%2e%2e/etc/passwd")[0] == 404


def test_url_names_the_user_and_the_page(viewer: Viewer) -> None:
    assert viewer.url("bob", "/t/abc").endswith("/?uid=bob#/t/abc")


def test_not_built_without_index_html(tmp_path: Path) -> None:
    server = Viewer({}, dist=tmp_path / "missing")
    assert not server.built
    server.stop()
