"""Offline checks of the web viewer's Terraform (read from the HCL, as tests/test_infra.py does):
the list query's composite index, the Hosting site and web app, and the outputs a deploy writes
into the viewer's config.json."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from tests.paths import ROOT

REPO = ROOT
INFRA = REPO / "infra"


class Config:
    """The resources of `infra/*.tf` by (type, name), and each file's text."""

    def __init__(self, directory: Path) -> None:
        options = SerializationOptions(
            with_comments=False, explicit_blocks=False, strip_string_quotes=True
        )
        self.text = {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf"))}
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        for text in self.text.values():
            for entry in hcl2.loads(text, serialization_options=options).get("resource", []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        self.resources[(rtype, name)] = body

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        assert (rtype, name) in self.resources, f"missing resource {rtype}.{name}"
        return self.resources[(rtype, name)]

    def all_text(self) -> str:
        return "\n".join(self.text.values())


def ref(value: Any) -> str:
    """`${google_x.y.z}` -> `google_x.y.z`; anything else fails the test."""
    match = re.fullmatch(r"\$\{([A-Za-z0-9_.\-\[\]]+)\}", value) if isinstance(value, str) else None
    assert match, f"expected a plain reference, got {value!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


def test_the_list_query_has_its_composite_index(cfg: Config) -> None:
    index = cfg.resource("google_firestore_index", "transcriptions_by_owner")
    assert (index["collection"], index["query_scope"]) == ("transcriptions", "COLLECTION")
    assert [(f["field_path"], f["order"]) for f in index["fields"]] == [
        ("owner", "ASCENDING"),
        ("created_at", "DESCENDING"),
    ]
    assert ref(index["database"]) == "google_firestore_database.main.name"
    # the query it serves (web/src/list.js)
    source = (REPO / "web" / "src" / "list.js").read_text()
    assert 'where("owner", "==", session.uid)' in source
    assert 'orderBy("created_at", "desc")' in source


def test_the_viewer_is_a_hosting_site_of_a_firebase_web_app(cfg: Config) -> None:
    app = cfg.resource("google_firebase_web_app", "viewer")
    site = cfg.resource("google_firebase_hosting_site", "viewer")
    assert ref(site["app_id"]) == "google_firebase_web_app.viewer.app_id"
    assert site["site_id"] == "${local.viewer_site_id}"
    firebase = cfg.resource("google_firebase_project", "this")
    for body in (app, site, firebase):
        assert body["provider"] == "google-beta"
    services = cfg.all_text()
    for api in ("firebase", "firebasehosting", "identitytoolkit"):
        assert f'"{api}.googleapis.com"' in services


def test_the_outputs_give_the_viewer_its_firebase_config(cfg: Config) -> None:
    outputs = cfg.text["outputs.tf"]
    assert 'output "viewer_config"' in outputs and 'output "viewer_site"' in outputs
    for key in ("apiKey", "authDomain", "projectId", "appId", "database"):
        assert f"{key} " in outputs or f"{key}=" in outputs.replace(" ", ""), key
    build = (REPO / "cloudbuild.yaml").read_text()
    assert "terraform output -raw viewer_config" in build
    assert "firebase-tools@" in build and "deploy --only hosting:viewer" in build
    assert "node policy.mjs --write config.json" in build  # before the deploy reads it
    assert build.index("policy.mjs --write") < build.index("deploy --only hosting:viewer")
