"""The reads function through functions-framework, with the Firebase Auth emulator's real ID
tokens, and each read through its signed URL from the Cloud Storage emulator (via the stack's
signed-URL gateway, which checks the signature as Cloud Storage does)."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from tests.reads.conftest import EXPORTS, FRENCH, MEDIA, ORIGIN, Reads, get

pytestmark = pytest.mark.emulator


def test_the_owner_reads_the_media_ranged_as_a_player_does(reads: Reads) -> None:
    answer = reads.ask(
        reads.token("alice"), {"transcription": reads.transcription, "object": "source"}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    grant = answer.get_json()
    assert grant["method"] == "GET" and grant["object"] == "source"
    expires = dt.datetime.fromisoformat(grant["expires"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < expires <= dt.timedelta(minutes=15)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(grant["url"]).query)["X-Goog-Expires"] == [
        "900"
    ]

    status, headers, body = get(grant["url"])
    assert (status, headers["Content-Type"], body) == (200, "audio/mp4", MEDIA)
    status, headers, body = get(grant["url"], Range="bytes=10-19")
    assert (status, body) == (206, MEDIA[10:20])
    assert headers["Content-Range"] == f"bytes 10-19/{len(MEDIA)}"
    assert "Content-Disposition" not in headers  # it plays inline


@pytest.mark.parametrize("kind", ["vtt", "srt", "json"])
def test_the_owner_downloads_each_export_as_a_file(reads: Reads, kind: str) -> None:
    status, headers, body = get(reads.url("alice", kind))
    assert (status, body.decode()) == (200, EXPORTS[kind])
    assert headers["Content-Disposition"] == f'attachment; filename="abc123-voice.{kind}"'


@pytest.mark.parametrize("kind", ["vtt", "srt"])
def test_the_owner_downloads_a_completed_translation_s_subtitles(reads: Reads, kind: str) -> None:
    status, headers, body = get(reads.url("alice", kind, lang="fr"))
    assert (status, body.decode()) == (200, FRENCH[kind])
    assert headers["Content-Disposition"] == f'attachment; filename="abc123-voice.fr.{kind}"'


def test_a_translation_not_completed_or_never_asked_is_404(reads: Reads) -> None:
    for lang in ("de", "es"):  # failed; never asked
        body = {"transcription": reads.transcription, "object": "vtt", "lang": lang}
        answer = reads.ask(reads.token("alice"), body)
        assert answer.status_code == 404
        assert answer.get_json() == {
            "error": f"this transcription has no completed translation into {lang}"
        }


def test_another_user_is_refused_and_signs_nothing(reads: Reads) -> None:
    for kind, lang in (("source", None), ("vtt", None), ("vtt", "fr")):
        body = {"transcription": reads.transcription, "object": kind, "lang": lang}
        answer = reads.ask(reads.token("bob"), body)
        assert answer.status_code == 403
        assert answer.get_json() == {"error": "this transcription is not yours"}


def test_a_missing_or_invalid_token_is_401(reads: Reads) -> None:
    body = {"transcription": reads.transcription, "object": "source"}
    for token in (None, "", "garbage"):
        answer = reads.ask(token, body)
        assert answer.status_code == 401 and "url" not in answer.get_json()
        assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"object": "source"},
        {"transcription": "../x", "object": "source"},
        {"transcription": "0" * 32, "object": "transcript.vtt"},
        {"transcription": "0" * 32},
        {"transcription": "0" * 32, "object": "vtt", "lang": "French"},
        {"transcription": "0" * 32, "object": "json", "lang": "fr"},
    ],
)
def test_a_bad_request_is_400(reads: Reads, body: object) -> None:
    answer = reads.ask(reads.token("alice"), body)
    assert answer.status_code == 400 and answer.get_json()["error"]


def test_a_missing_transcription_or_export_is_404(reads: Reads) -> None:
    missing = {"transcription": "f" * 32, "object": "source"}
    assert reads.ask(reads.token("alice"), missing).status_code == 404
    doc = clients.firestore_client().collection(TRANSCRIPTIONS).document(reads.transcription)
    doc.update({"exports": {}})  # processing: no exports yet
    answer = reads.ask(
        reads.token("alice"), {"transcription": reads.transcription, "object": "srt"}
    )
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "this transcription has no srt export (yet)"}


def test_cors_preflight_and_other_methods(reads: Reads) -> None:
    preflight = reads.ask(None, method="OPTIONS")
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert reads.ask(reads.token("alice"), method="GET").status_code == 405


def test_a_tampered_forged_or_replayed_url_is_refused_by_the_gateway(reads: Reads) -> None:
    """Cloud Storage's checks, as the gateway makes them: the signature binds the object, the
    method, the disposition and the time; another object, a changed disposition, a forged
    signature or a signature replayed on another object are 403, and nothing is served."""
    url = reads.url("alice", "vtt")
    other = reads.url("alice", "srt")
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    signature = query["X-Goog-Signature"]

    def with_query(path: str = parts.path, **changes: str) -> str:
        return urllib.parse.urlunsplit(
            parts._replace(path=path, query=urllib.parse.urlencode({**query, **changes}))
        )

    srt_path = urllib.parse.urlsplit(other).path
    attempts = {
        "another object": with_query(srt_path),
        "replayed on another object": other.replace(
            urllib.parse.parse_qs(urllib.parse.urlsplit(other).query)["X-Goog-Signature"][0],
            signature,
        ),
        "forged": with_query(**{"X-Goog-Signature": "ab" * 256}),
        "the disposition changed": with_query(
            **{"response-content-disposition": 'inline; filename="x.html"'}
        ),
        "unsigned": urllib.parse.urlunsplit(parts._replace(query="")),
    }
    for what, attempt in attempts.items():
        status, _, body = get(attempt)
        assert status == 403, what
        assert b"Ada Lovelace" not in body, what
    assert get(url)[0] == 200  # the genuine one still reads


def test_an_object_gone_since_its_url_was_signed_is_404(reads: Reads) -> None:
    url = reads.url("alice", "srt")
    bucket, name = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/").split("/", 1)
    clients.storage_client().bucket(bucket).blob(name).delete()
    assert get(url)[0] == 404
