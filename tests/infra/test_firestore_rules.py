"""firestore.rules in the Firestore emulator, over REST with unsigned test tokens."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from stack.services import Service, start_firestore, wait_ready
from tests.paths import ROOT

pytestmark = pytest.mark.emulator
PROJECT = "tabscribe-rules"
DOCS = f"projects/{PROJECT}/databases/(default)/documents"


@pytest.fixture(scope="module")
def rules_emulator() -> Iterator[Service]:
    emulator = start_firestore(ROOT / ".local" / "test-logs", ROOT / "firestore.rules", "rules")
    try:
        wait_ready(emulator)
        yield emulator
    finally:
        emulator.stop()


def token(uid: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": uid,
        "user_id": uid,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "custom", "identities": {}},
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def call(
    emulator: Service, method: str, path: str, bearer: str | None, body: Any = None
) -> tuple[int, Any]:
    url = f"http://{emulator.host_port}/v1/{path}"
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, None


def fields(**values: str) -> dict[str, Any]:
    return {"fields": {k: {"stringValue": v} for k, v in values.items()}}


@pytest.fixture(scope="module")
def seeded(rules_emulator: Service) -> Service:
    for tid, owner in (("t-alice", "alice"), ("t-bob", "bob")):
        doc = f"{DOCS}/transcriptions/{tid}"
        assert (
            call(rules_emulator, "PATCH", doc, "owner", fields(owner=owner, status="done"))[0]
            == 200
        )
        page = fields(owner=owner, text="hello")
        assert call(rules_emulator, "PATCH", f"{doc}/pages/0000", "owner", page)[0] == 200
    pending = f"{DOCS}/transcriptions/t-alice/pending/1-1-000001"
    assert call(rules_emulator, "PATCH", pending, "owner", fields(chunk="{}"))[0] == 200
    return rules_emulator


def test_the_owner_reads_the_transcription_and_its_pages(seeded: Service) -> None:
    alice = token("alice")
    status, doc = call(seeded, "GET", f"{DOCS}/transcriptions/t-alice", alice)
    assert status == 200 and doc["fields"]["owner"]["stringValue"] == "alice"
    assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pages/0000", alice)[0] == 200
    status, listed = call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pages", alice)
    assert status == 200 and len(listed["documents"]) == 1


def test_other_users_and_anonymous_clients_are_denied(seeded: Service) -> None:
    for bearer in (token("bob"), None):
        assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice", bearer)[0] == 403
        assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pages/0000", bearer)[0] == 403
    assert (
        call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pending/1-1-000001", token("alice"))[0]
        == 403
    )
    assert call(seeded, "GET", f"{DOCS}/transcriptions", token("alice"))[0] == 403  # unconstrained


def test_no_client_writes_even_the_owner(seeded: Service) -> None:
    alice = token("alice")
    doc = f"{DOCS}/transcriptions/t-alice"
    assert call(seeded, "PATCH", doc, alice, fields(owner="alice", status="completed"))[0] == 403
    assert call(seeded, "PATCH", f"{doc}/pages/0001", alice, fields(owner="alice"))[0] == 403
    assert call(seeded, "DELETE", doc, alice)[0] == 403
    new = f"{DOCS}/transcriptions/t-new"
    assert call(seeded, "PATCH", new, alice, fields(owner="alice"))[0] == 403


def test_a_list_query_constrained_on_owner_works_for_the_owner(seeded: Service) -> None:
    query = {
        "structuredQuery": {
            "from": [{"collectionId": "transcriptions"}],
            "where": {
                "fieldFilter": {
                    "field": {"fieldPath": "owner"},
                    "op": "EQUAL",
                    "value": {"stringValue": "alice"},
                }
            },
        }
    }
    status, rows = call(seeded, "POST", f"{DOCS}:runQuery", token("alice"), query)
    assert status == 200
    assert [r["document"]["name"].rsplit("/", 1)[1] for r in rows if "document" in r] == ["t-alice"]
    assert call(seeded, "POST", f"{DOCS}:runQuery", token("bob"), query)[0] == 403
