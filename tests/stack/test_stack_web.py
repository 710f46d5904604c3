"""The local stack's static server for the viewer: the built files and the emulators' config."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stack.web import WEB, Viewer, content_security_policy, viewer_config


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def policy_of(url: str) -> dict[str, list[str]]:
    """The Content-Security-Policy `url` is served with: directive -> sources."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return directives(response.headers["Content-Security-Policy"])


def directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";"))
    return {name: sources for name, *sources in parts}


def hosting_policy() -> dict[str, list[str]]:
    """The policy Firebase Hosting serves (web/firebase.json), before a deploy adds the config's."""
    rules = json.loads((WEB / "firebase.json").read_text())["hosting"]["headers"]
    (rule,) = [rule for rule in rules if rule["source"] == "**"]
    (header,) = [h for h in rule["headers"] if h["key"] == "Content-Security-Policy"]
    return directives(header["value"])


@pytest.fixture
def viewer(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    env = {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8081", "STORAGE_EMULATOR_HOST": "http://h:9"}
    functions = [f"http://127.0.0.1:{port}/" for port in (5001, 5002, 5003, 5004)]
    config = viewer_config(env, "p", *functions)
    server = Viewer(config, dist=tmp_path)
    server.start(signed=("http://127.0.0.1:4443",))
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
        "uploads": "http://127.0.0.1:5001/",
        "reads": "http://127.0.0.1:5002/",
        "deletion": "http://127.0.0.1:5003/",
        "corrections": "http://127.0.0.1:5004/",
    }  # no storage endpoint: objects come through signed URLs only


def test_every_answer_carries_hosting_s_policy_with_this_stack_s_endpoints(viewer: Viewer) -> None:
    hosting = hosting_policy()
    assert hosting["script-src"] == ["'self'", "https://apis.google.com"]
    assert hosting["default-src"] == ["'self'"] and hosting["object-src"] == ["'none'"]
    for path in ("", "config.json", "missing"):
        served = policy_of(viewer.url() + path) if path != "missing" else policy_on_error(viewer)
        assert set(served) == set(hosting)
        assert {name: served[name][: len(hosting[name])] for name in hosting} == hosting
        added = {name: served[name][len(hosting[name]) :] for name in hosting}
        assert {name: sources for name, sources in added.items() if sources} == {
            "connect-src": [
                "http://127.0.0.1:5001",  # the upload function
                "http://127.0.0.1:5002",  # the reads function
                "http://127.0.0.1:5003",  # the deletion function
                "http://127.0.0.1:5004",  # the corrections function
                "http://127.0.0.1:8081",  # Firestore's emulator
                "http://127.0.0.1:4443",  # the signed-URL gateway
            ],
            "media-src": ["http://127.0.0.1:4443"],  # media through the gateway's signed URLs
        }


def policy_on_error(viewer: Viewer) -> dict[str, list[str]]:
    try:
        urllib.request.urlopen(viewer.url() + "missing", timeout=5)
    except urllib.error.HTTPError as error:
        return directives(error.headers["Content-Security-Policy"])
    raise AssertionError("served a missing file")


def test_a_deploy_writes_the_same_policy_with_its_function_and_sign_in_domain(
    tmp_path: Path,
) -> None:
    config = {
        "uploads": "https://us-central1-p.cloudfunctions.net/tabscribe-uploads",
        "reads": "https://tabscribe-media-url-abc-uc.a.run.app",
        "deletion": "https://tabscribe-deletion-abc-uc.a.run.app/",
        "corrections": "https://tabscribe-corrections-abc-uc.a.run.app",
        "firebase": {"authDomain": "p.firebaseapp.com", "projectId": "p"},
    }
    for name in ("policy.mjs", "firebase.json"):  # cloudbuild.yaml writes into its copy
        shutil.copy(WEB / name, tmp_path / name)
    (tmp_path / "config.json").write_text(json.dumps(config))
    command = ["node", "policy.mjs", "--write", "config.json"]
    subprocess.run(command, cwd=tmp_path, check=True, timeout=60)
    written = json.loads((tmp_path / "firebase.json").read_text())["hosting"]["headers"][0]
    deployed = directives(written["headers"][0]["value"])

    hosting = hosting_policy()
    assert deployed == directives(content_security_policy(config))
    assert deployed["connect-src"] == [
        *hosting["connect-src"],
        "https://us-central1-p.cloudfunctions.net",
        "https://tabscribe-media-url-abc-uc.a.run.app",
        "https://tabscribe-deletion-abc-uc.a.run.app",
        "https://tabscribe-corrections-abc-uc.a.run.app",
    ]
    assert "https://storage.googleapis.com" in deployed["media-src"]  # signed URLs' media
    assert deployed["frame-src"] == [*hosting["frame-src"], "https://p.firebaseapp.com"]
    assert {name: deployed[name] for name in hosting if "-src" not in name} == {
        name: hosting[name] for name in hosting if "-src" not in name
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
