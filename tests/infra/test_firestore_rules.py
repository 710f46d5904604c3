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


def fields(**values: Any) -> dict[str, Any]:
    return {"fields": {k: value(v) for k, v in values.items()}}


def value(v: Any) -> dict[str, Any]:
    """A Python value as a Firestore REST value (strings, ints, maps)."""
    if isinstance(v, dict):
        return {"mapValue": {"fields": {k: value(x) for k, x in v.items()}}}
    if isinstance(v, int):
        return {"integerValue": str(v)}
    return {"stringValue": v}


def run(generation: str, attempt: int) -> dict[str, Any]:
    return {"generation": generation, "attempt": attempt}


CURRENT, OLD_GENERATION, OLD_ATTEMPT = run("200", 1), run("100", 1), run("200", 1)
# t-alice: run 200/1 with its two pages. t-overwritten: an overwrite claimed run 300/1 and the
# store has not yet deleted the old generation's pages. t-retried: the transcriber's retry
# claimed attempt 2 while attempt 1's page is still there.
HISTORY = f"{DOCS}/transcriptions/t-alice/history"  # the owner's corrections (decision 0023)
SEEDS = {
    "t-alice": ("alice", CURRENT, {"0000": CURRENT, "0001": CURRENT}),
    "t-bob": ("bob", CURRENT, {"0000": CURRENT}),
    "t-overwritten": ("alice", run("300", 1), {"0000": OLD_GENERATION, "0001": OLD_GENERATION}),
    "t-retried": ("alice", run("200", 2), {"0000": OLD_ATTEMPT}),
}

# The translations of decision 0026: t-alice's French is of its run; t-overwritten's German is
# of the generation an overwrite superseded.
TRANSLATIONS = [("t-alice", "fr", CURRENT), ("t-overwritten", "de", OLD_GENERATION)]


@pytest.fixture(scope="module")
def seeded(rules_emulator: Service) -> Service:
    for tid, (owner, claimed, pages) in SEEDS.items():
        doc = f"{DOCS}/transcriptions/{tid}"
        body = fields(owner=owner, status="processing", run=claimed)
        assert call(rules_emulator, "PATCH", doc, "owner", body)[0] == 200
        for page_id, page_run in pages.items():
            page = fields(owner=owner, run=page_run, index=int(page_id), text="hello")
            assert call(rules_emulator, "PATCH", f"{doc}/pages/{page_id}", "owner", page)[0] == 200
    entry = fields(seq=1, action="rename", by="alice", run=CURRENT)
    assert call(rules_emulator, "PATCH", f"{HISTORY}/000001", "owner", entry)[0] == 200
    for tid, lang, translated in TRANSLATIONS:
        path = f"{DOCS}/transcriptions/{tid}/translations/{lang}"
        body = fields(lang=lang, owner="alice", run=translated, pages=1)
        assert call(rules_emulator, "PATCH", path, "owner", body)[0] == 200
        page = fields(owner="alice", run=translated, lang=lang, index=0, count=1)
        assert call(rules_emulator, "PATCH", f"{path}/pages/0000", "owner", page)[0] == 200
    lease = f"{DOCS}/transcriptions/t-alice/enrichments/200-1-translation_fr"
    assert call(rules_emulator, "PATCH", lease, "owner", fields(holder="m#1"))[0] == 200
    pending = f"{DOCS}/transcriptions/t-alice/pending/1-1-000001"
    assert call(rules_emulator, "PATCH", pending, "owner", fields(chunk="{}"))[0] == 200
    return rules_emulator


def pages_query(claimed: dict[str, Any] | None) -> dict[str, Any]:
    """The query docs/firestore.md tells apps to make:
    query(collection(db, 'transcriptions', id, 'pages'),
          where('run.generation', '==', doc.run.generation),
          where('run.attempt', '==', doc.run.attempt), orderBy(documentId()))
    (`claimed` None: the same query without the run constraint)."""
    query: dict[str, Any] = {
        "from": [{"collectionId": "pages"}],
        "orderBy": [{"field": {"fieldPath": "__name__"}, "direction": "ASCENDING"}],
    }
    if claimed is not None:
        query["where"] = {
            "compositeFilter": {
                "op": "AND",
                "filters": [
                    {
                        "fieldFilter": {
                            "field": {"fieldPath": f"run.{name}"},
                            "op": "EQUAL",
                            "value": value(claimed[name]),
                        }
                    }
                    for name in ("generation", "attempt")
                ],
            }
        }
    return {"structuredQuery": query}


def read_pages(
    emulator: Service,
    tid: str,
    bearer: str | None,
    claimed: dict[str, Any] | None,
    under: str = "",
    collection: str = "pages",
) -> tuple[int, list[str]]:
    """Run the pages query under one transcription (or `under` one of its documents, a
    translation): the status and the page ids, in order."""
    path = f"{DOCS}/transcriptions/{tid}{under}:runQuery"
    query = pages_query(claimed)
    query["structuredQuery"]["from"] = [{"collectionId": collection}]
    status, rows = call(emulator, "POST", path, bearer, query)
    names = [r["document"]["name"].rsplit("/", 1)[1] for r in rows or [] if "document" in r]
    return status, names


def test_the_owner_reads_the_transcription_and_its_pages(seeded: Service) -> None:
    alice = token("alice")
    status, doc = call(seeded, "GET", f"{DOCS}/transcriptions/t-alice", alice)
    assert status == 200 and doc["fields"]["owner"]["stringValue"] == "alice"
    assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pages/0000", alice)[0] == 200
    assert read_pages(seeded, "t-alice", alice, CURRENT) == (200, ["0000", "0001"])


def test_a_pages_query_must_constrain_the_run(seeded: Service) -> None:
    """Rules are not filters: without the run constraint the query is denied, even though
    every page under t-alice belongs to its run."""
    alice = token("alice")
    assert read_pages(seeded, "t-alice", alice, None)[0] == 403
    assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pages", alice)[0] == 403
    assert read_pages(seeded, "t-alice", alice, run("200", 2))[0] == 403  # not the doc's run


@pytest.mark.parametrize(
    ("tid", "stale"), [("t-overwritten", OLD_GENERATION), ("t-retried", OLD_ATTEMPT)]
)
def test_pages_of_an_earlier_run_are_hidden_once_a_new_run_is_claimed(
    seeded: Service, tid: str, stale: dict[str, Any]
) -> None:
    alice = token("alice")
    for page_id in SEEDS[tid][2]:
        assert call(seeded, "GET", f"{DOCS}/transcriptions/{tid}/pages/{page_id}", alice)[0] == 403
    assert read_pages(seeded, tid, alice, stale)[0] == 403
    assert read_pages(seeded, tid, alice, None)[0] == 403
    assert read_pages(seeded, tid, alice, SEEDS[tid][1]) == (200, [])  # the new run: no page yet


def test_other_users_and_anonymous_clients_are_denied(seeded: Service) -> None:
    for bearer in (token("bob"), None):
        assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice", bearer)[0] == 403
        assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/pages/0000", bearer)[0] == 403
        assert read_pages(seeded, "t-alice", bearer, CURRENT)[0] == 403
    assert read_pages(seeded, "t-bob", token("bob"), CURRENT) == (200, ["0000"])
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
    names = [r["document"]["name"].rsplit("/", 1)[1] for r in rows if "document" in r]
    assert names == ["t-alice", "t-overwritten", "t-retried"]
    assert call(seeded, "POST", f"{DOCS}:runQuery", token("bob"), query)[0] == 403


def test_the_caps_counters_are_closed_to_clients_even_their_user(seeded: Service) -> None:
    day, alice = f"{DOCS}/usage/2026-12-07", token("alice")
    paths = [day, f"{day}/users/alice", f"{DOCS}/usage_uploads/t-alice"]
    for path in paths:
        assert call(seeded, "PATCH", path, "owner", fields(owner="alice", uploads=1))[0] == 200
        for bearer in (alice, None):
            assert call(seeded, "GET", path, bearer)[0] == 403
            assert call(seeded, "PATCH", path, bearer, fields(uploads=0))[0] == 403
            assert call(seeded, "DELETE", path, bearer)[0] == 403
    assert call(seeded, "GET", f"{day}/users", alice)[0] == 403


def test_only_the_owner_reads_the_corrections_history_and_no_client_writes_it(
    seeded: Service,
) -> None:
    alice = token("alice")
    assert call(seeded, "GET", f"{HISTORY}/000001", alice)[0] == 200
    status, listed = call(seeded, "GET", HISTORY, alice)
    assert status == 200 and len(listed["documents"]) == 1
    for bearer in (token("bob"), None):
        assert call(seeded, "GET", f"{HISTORY}/000001", bearer)[0] == 403
        assert call(seeded, "GET", HISTORY, bearer)[0] == 403
    for bearer in (alice, token("bob")):
        assert call(seeded, "PATCH", f"{HISTORY}/000002", bearer, fields(seq=2))[0] == 403
        assert call(seeded, "PATCH", f"{HISTORY}/000001", bearer, fields(undone_by=2))[0] == 403
        assert call(seeded, "DELETE", f"{HISTORY}/000001", bearer)[0] == 403


def test_a_deletion_s_tombstone_is_closed_to_clients_even_its_owner(seeded: Service) -> None:
    path, alice = f"{DOCS}/deletions/t-alice", token("alice")
    tombstone = fields(owner="alice", generation="1")
    assert call(seeded, "PATCH", path, "owner", tombstone)[0] == 200
    for bearer in (alice, None):
        assert call(seeded, "GET", path, bearer)[0] == 403
        assert call(seeded, "PATCH", path, bearer, fields(generation="0"))[0] == 403
        assert call(seeded, "DELETE", path, bearer)[0] == 403
    assert call(seeded, "GET", f"{DOCS}/deletions", alice)[0] == 403


def test_the_owner_reads_the_translations_of_the_document_s_run_only(seeded: Service) -> None:
    alice, french = token("alice"), f"{DOCS}/transcriptions/t-alice/translations/fr"
    assert call(seeded, "GET", french, alice)[0] == 200
    assert call(seeded, "GET", f"{french}/pages/0000", alice)[0] == 200
    assert read_pages(seeded, "t-alice", alice, CURRENT, "/translations/fr") == (200, ["0000"])
    assert read_pages(seeded, "t-alice", alice, CURRENT, collection="translations") == (
        200,
        ["fr"],
    )
    assert read_pages(seeded, "t-alice", alice, None, "/translations/fr")[0] == 403
    assert read_pages(seeded, "t-alice", alice, None, collection="translations")[0] == 403
    for bearer in (token("bob"), None):
        assert call(seeded, "GET", french, bearer)[0] == 403
        assert call(seeded, "GET", f"{french}/pages/0000", bearer)[0] == 403
    german = f"{DOCS}/transcriptions/t-overwritten/translations/de"  # of a superseded run
    assert call(seeded, "GET", german, alice)[0] == 403
    assert call(seeded, "GET", f"{german}/pages/0000", alice)[0] == 403
    assert call(seeded, "PATCH", f"{french}/pages/0000", alice, fields(count=2))[0] == 403
    assert call(seeded, "PATCH", french, alice, fields(lang="fr"))[0] == 403


def test_an_enrichment_s_lease_is_closed_to_clients_even_the_owner(seeded: Service) -> None:
    lease = f"{DOCS}/transcriptions/t-alice/enrichments/200-1-translation_fr"
    for bearer in (token("alice"), None):
        assert call(seeded, "GET", lease, bearer)[0] == 403
        assert call(seeded, "GET", f"{DOCS}/transcriptions/t-alice/enrichments", bearer)[0] == 403
        assert call(seeded, "PATCH", lease, bearer, fields(holder="me"))[0] == 403
