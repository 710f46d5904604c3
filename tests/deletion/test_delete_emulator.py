"""The deletion function through functions-framework, with the Auth emulator's real ID tokens,
against the Firestore, Pub/Sub and Cloud Storage emulators; the run in flight and the re-delivered
upload event through the transcriber's own code."""

from __future__ import annotations

import datetime as dt

import pytest
from cloudevents.conversion import to_structured
from cloudevents.http import CloudEvent
from functions_framework import create_app

from functions.core.documents import TRANSCRIPTIONS
from functions.core.settings import get_settings
from functions.transcribe import claims
from tests.deletion.conftest import MEDIA_NAME, ORIGIN, RESULTS, Deletion
from tests.paths import ROOT

pytestmark = pytest.mark.emulator


def test_the_owner_deletes_everything_and_an_event_says_so(deletion: Deletion) -> None:
    assert len(deletion.firestore_paths()) == 9 and len(deletion.objects()) == 1 + len(RESULTS)

    response = deletion.delete(deletion.token("alice"))

    assert response.status_code == 200, response.get_json()
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.get_json() == {
        "transcription": deletion.tid,
        "deleted": {"documents": 9, "objects": 1 + len(RESULTS)},
    }
    assert deletion.firestore_paths() == [] and deletion.objects() == []
    tombstone = deletion.tombstone()
    assert tombstone is not None and set(tombstone) == {
        "generation",
        "owner",
        "deleted_at",
        "done_at",
        "expire_at",
    }
    assert tombstone["generation"] == deletion.generation  # the name is not kept
    kept = tombstone["expire_at"] - tombstone["done_at"]  # then Firestore's TTL deletes it
    assert dt.timedelta(days=7) < kept < dt.timedelta(days=9)
    [event] = deletion.pull_events()
    assert event.type == "dev.tabscribe.transcription.deleted"
    assert event.id == f"{deletion.tid}-deleted-{deletion.generation}"
    assert event.data.owner == "alice" and event.data.source.name == MEDIA_NAME


def test_a_run_in_flight_finds_itself_superseded_and_a_clip_claims_nothing(
    deletion: Deletion,
) -> None:
    now = dt.datetime.now(dt.UTC)
    run = claims.Claim(deletion.tid, deletion.generation, 1, "event-1#x")
    assert claims.is_current(deletion.db, run)

    assert deletion.delete(deletion.token("alice")).status_code == 200

    assert not claims.is_current(deletion.db, run)  # what a flush asks before publishing
    with pytest.raises(claims.Superseded):
        claims.heartbeat(deletion.db, run, 60, now)
    clip = claims.ClipRef(run_attempt=1, index=1)
    claimed, why = claims.claim_clip(
        deletion.db, deletion.tid, deletion.generation, clip, "task-1#y", 60, now
    )
    assert claimed is None and why == claims.GONE
    assert deletion.firestore_paths() == []


def test_a_clip_claimed_as_the_deletion_lands_leaves_no_document(
    deletion: Deletion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deletion between a clip claim's two checks: the claim it wrote is removed again."""
    checked = claims._upload_refusal

    def then_deleted(db: object, run: claims.Claim) -> str | None:
        why = checked(db, run)  # type: ignore[arg-type]
        if why is None:  # the first check passed: the owner deletes right now
            assert deletion.delete(deletion.token("alice")).status_code == 200
        return why

    monkeypatch.setattr(claims, "_upload_refusal", then_deleted)
    clip = claims.ClipRef(run_attempt=1, index=1)
    now = dt.datetime.now(dt.UTC)
    claimed, why = claims.claim_clip(
        deletion.db, deletion.tid, deletion.generation, clip, "task-1#y", 60, now
    )
    assert claimed is None and why == claims.GONE
    assert deletion.firestore_paths() == []


def test_a_redelivered_upload_event_does_not_bring_it_back(deletion: Deletion) -> None:
    assert deletion.delete(deletion.token("alice")).status_code == 200
    transcriber = create_app(target="transcribe_upload", source=str(ROOT / "main.py"))
    attributes = {
        "id": "finalize-1",
        "type": "google.cloud.storage.object.v1.finalized",
        "source": f"//storage.googleapis.com/projects/_/buckets/{deletion.uploads.name}",
        "time": dt.datetime.now(dt.UTC).isoformat(),
    }
    data = {
        "bucket": deletion.uploads.name,
        "name": MEDIA_NAME,
        "generation": deletion.generation,
        "contentType": "audio/mp4",
        "size": "11",
    }
    headers, body = to_structured(CloudEvent(attributes, data))
    response = transcriber.test_client().post("/", headers=headers, data=body)

    assert response.status_code == 200
    assert deletion.firestore_paths() == [] and deletion.objects() == []
    assert not deletion.db.collection(TRANSCRIPTIONS).document(deletion.tid).get().exists


def test_another_user_is_refused_and_nothing_changes(deletion: Deletion) -> None:
    before = (deletion.firestore_paths(), deletion.objects())
    response = deletion.delete(deletion.token("bob"))
    assert response.status_code == 403, response.get_json()
    assert (deletion.firestore_paths(), deletion.objects()) == before
    assert deletion.tombstone() is None and deletion.pull_events() == []


@pytest.mark.parametrize(
    ("token", "body", "method", "status"),
    [
        (None, None, "POST", 401),
        ("not-a-token", None, "POST", 401),
        ("alice", {"transcription": "0" * 32}, "POST", 404),
        ("alice", {"transcription": "../x"}, "POST", 400),
        ("alice", None, "GET", 405),
    ],
)
def test_refusals_change_nothing(
    deletion: Deletion, token: str | None, body: dict[str, str] | None, method: str, status: int
) -> None:
    before = (deletion.firestore_paths(), deletion.objects())
    bearer = deletion.token(token) if token == "alice" else token
    response = deletion.delete(bearer, body, method)
    assert response.status_code == status, response.get_json()
    assert "error" in response.get_json()
    assert (deletion.firestore_paths(), deletion.objects()) == before
    assert deletion.tombstone() is None


def test_a_second_deletion_is_404(deletion: Deletion) -> None:
    assert deletion.delete(deletion.token("alice")).status_code == 200
    assert deletion.delete(deletion.token("alice")).status_code == 404


def test_the_browser_may_ask(deletion: Deletion) -> None:
    response = deletion.delete(None, method="OPTIONS")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_deletion_cut_short_is_finished_by_the_owner_s_next_request(
    deletion: Deletion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABSCRIBE_EVENTS_TOPIC", "no-such-topic")  # the publish fails: a 500
    get_settings.cache_clear()
    assert deletion.delete(deletion.token("alice")).status_code == 500
    tombstone = deletion.tombstone()
    assert tombstone is not None and tombstone["source"]["name"] == MEDIA_NAME  # under way
    monkeypatch.setenv("TABSCRIBE_EVENTS_TOPIC", deletion.events.rsplit("/", 1)[1])
    get_settings.cache_clear()

    assert deletion.delete(deletion.token("bob")).status_code == 404  # not another user's
    response = deletion.delete(deletion.token("alice"))

    assert response.status_code == 200, response.get_json()
    assert deletion.firestore_paths() == [] and deletion.objects() == []
    assert "source" not in (deletion.tombstone() or {"source": "missing"})
    [event] = deletion.pull_events()
    assert event.data.source.name == MEDIA_NAME
    assert deletion.delete(deletion.token("alice")).status_code == 404
