"""The upload function through functions-framework, with the Firebase Auth emulator's real ID
tokens, and the upload itself through the signed URL into the Cloud Storage emulator (via the
stack's signed-URL gateway, which checks the signature as Cloud Storage does)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from functions.core.documents import transcription_id
from stack.accounts import unsigned_jwt
from tests.conftest import PROJECT
from tests.uploads.conftest import MEDIA, MEDIA_ASK, ORIGIN, Uploads, put

pytestmark = pytest.mark.emulator


def test_a_signed_in_user_uploads_under_their_own_uid(uploads: Uploads) -> None:
    response = uploads.ask(uploads.token("alice"), {**MEDIA_ASK, "owner": "bob", "uid": "bob"})
    assert response.status_code == 200, response.get_json()
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    grant = response.get_json()
    name = grant["object"]
    assert name.startswith("uploads/alice/") and name.endswith("-voice.m4a")
    assert grant["transcription"] == transcription_id(uploads.bucket.name, name)
    assert grant["method"] == "PUT" and grant["bucket"] == uploads.bucket.name

    assert put(grant, MEDIA) == 200
    blob = uploads.bucket.get_blob(name)
    assert blob.download_as_bytes() == MEDIA and blob.content_type == "audio/mp4"
    assert blob.metadata == {"title": "Two voices", "speakers": "Ada Lovelace"}


def test_a_url_puts_once_a_replay_is_412_and_changes_nothing(uploads: Uploads) -> None:
    grant = uploads.ask(uploads.token("alice"), MEDIA_ASK).get_json()
    assert put(grant, MEDIA, "x-goog-if-generation-match") == 403  # the URL requires it
    assert put(grant, MEDIA) == 200
    first = uploads.bucket.get_blob(grant["object"])
    assert put(grant, MEDIA) == 412
    assert put(grant, MEDIA, "x-goog-if-generation-match") == 403
    again = uploads.bucket.get_blob(grant["object"])
    assert (again.generation, again.md5_hash) == (first.generation, first.md5_hash)


def test_a_name_naming_another_user_stays_under_the_caller(uploads: Uploads) -> None:
    for name in ("../bob/x.m4a", "uploads/bob/x.m4a", "bob/x.m4a"):
        grant = uploads.ask(uploads.token("alice"), {**MEDIA_ASK, "name": name}).get_json()
        assert grant["object"].startswith("uploads/alice/"), grant
        assert "/bob" not in grant["object"]


def test_the_signed_url_admits_only_what_was_signed(uploads: Uploads) -> None:
    grant = uploads.ask(uploads.token("alice"), MEDIA_ASK).get_json()
    assert put(grant, MEDIA, **{"Content-Type": "text/html"}) == 403
    assert put(grant, MEDIA, **{"x-goog-meta-title": "changed"}) == 403
    assert put(grant, MEDIA + b"more") == 400  # outside the signed length range
    other = {**grant, "url": grant["url"].replace("/uploads/alice/", "/uploads/bob/")}
    assert put(other, MEDIA) == 403
    assert not list(uploads.bucket.list_blobs())


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "garbage",
        unsigned_jwt({"sub": "alice", "aud": "another-project", "exp": time.time() + 600}),
        unsigned_jwt(
            {
                "sub": "alice",
                "aud": PROJECT,
                "iss": f"https://securetoken.google.com/{PROJECT}",
                "exp": time.time() - 600,
            }
        ),
    ],
)
def test_no_or_an_invalid_token_is_401(uploads: Uploads, token: str | None) -> None:
    response = uploads.ask(token, MEDIA_ASK)
    assert response.status_code == 401
    assert response.get_json()["error"] and response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "change",
    [{"content_type": "text/html"}, {"size": 0}, {"size": 3 * 1024**3}, {"name": "/"}],
)
def test_bad_content_type_size_or_name_is_400(uploads: Uploads, change: dict[str, Any]) -> None:
    response = uploads.ask(uploads.token("alice"), {**MEDIA_ASK, **change})
    assert response.status_code == 400 and response.get_json()["error"]


def test_an_unknown_translation_language_is_400_naming_the_code(uploads: Uploads) -> None:
    metadata = {"translate": "fr,xx", "chapters": "true"}
    response = uploads.ask(uploads.token("alice"), {**MEDIA_ASK, "metadata": metadata})
    assert response.status_code == 400
    assert "'xx' is not a language code Gemini supports" in response.get_json()["error"]


def test_translations_and_chapters_are_signed_as_metadata(uploads: Uploads) -> None:
    metadata = {"translate": "fr,de", "chapters": "true", "events": "false"}
    response = uploads.ask(uploads.token("alice"), {**MEDIA_ASK, "metadata": metadata})
    assert response.status_code == 200, response.get_json()
    grant = response.get_json()
    assert put(grant, MEDIA) == 200
    assert uploads.bucket.get_blob(grant["object"]).metadata == metadata


def test_methods_and_cors(uploads: Uploads) -> None:
    assert uploads.ask(uploads.token("alice"), method="GET").status_code == 405
    preflight = uploads.app.options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    stranger = uploads.app.options("/", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
