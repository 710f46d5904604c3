"""The reads function's test stack: functions-framework, the Firebase Auth emulator's real ID
tokens, a transcription document in the Firestore emulator, its media and exports in the Cloud
Storage emulator, and the stack's signed-URL gateway in front of it (it checks a GET's signature
as Cloud Storage does)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS, transcription_id
from stack.accounts import id_token
from tests.paths import ROOT
from tests.uploads.conftest import ORIGIN, signing_function

MEDIA = (ROOT / "tests" / "data" / "media" / "voice.m4a").read_bytes()
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Ada Lovelace>Hello.\n"
EXPORTS = {"vtt": VTT, "srt": "1\n00:00:00,000 --> 00:00:02,000\nAda Lovelace: Hello.\n"}
EXPORTS["json"] = json.dumps({"speakers": [{"voice": 1, "name": "Ada Lovelace"}]})
# The French translation's subtitles, as the enrichment records them (decision 0026)
FRENCH = {
    "vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Ada Lovelace>Bonjour.\n",
    "srt": "1\n00:00:00,000 --> 00:00:02,000\nAda Lovelace: Bonjour.\n",
}


@dataclass
class Reads:
    app: Any
    auth_host: str
    transcription: str  # alice's, completed, with its media, three exports and a French translation

    def ask(self, token: str | None, body: Any = None, method: str = "POST") -> Any:
        headers = {"Origin": ORIGIN}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.app.open("/", method=method, headers=headers, json=body)

    def token(self, uid: str) -> str:
        return id_token(self.auth_host, uid)

    def url(self, uid: str, kind: str, lang: str | None = None) -> str:
        body = {"transcription": self.transcription, "object": kind}
        answer = self.ask(self.token(uid), {**body, "lang": lang} if lang else body)
        assert answer.status_code == 200, answer.get_json()
        return str(answer.get_json()["url"])


@pytest.fixture
def reads(
    emulators: Any,
    auth: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    unique: str,
) -> Iterator[Reads]:
    uploads = clients.storage_client().create_bucket(f"uploads-{unique}")
    results = clients.storage_client().create_bucket(f"results-{unique}")
    name = "uploads/alice/abc123-voice.m4a"
    uploads.blob(name).upload_from_string(MEDIA, content_type="audio/mp4")
    doc_id = transcription_id(uploads.name, name)
    exports = {}
    for kind, body in EXPORTS.items():
        path = f"results/{doc_id}/transcript.{kind}"
        results.blob(path).upload_from_string(body, content_type=f"text/{kind}")
        exports[kind] = f"gs://{results.name}/{path}"
    french = {}
    for kind, body in FRENCH.items():
        path = f"results/{doc_id}/transcript.fr.{kind}"
        results.blob(path).upload_from_string(body, content_type=f"text/{kind}")
        french[kind] = f"gs://{results.name}/{path}"
    clients.firestore_client().collection(TRANSCRIPTIONS).document(doc_id).set(
        {
            "owner": "alice",
            "status": "completed",
            "source": {"bucket": uploads.name, "name": name},
            "exports": exports,
            "enrichments": {
                "translation_fr": {
                    "kind": "translation",
                    "lang": "fr",
                    "status": "completed",
                    "exports": french,
                },
                "translation_de": {"kind": "translation", "lang": "de", "status": "failed"},
            },
        }
    )
    env = {"TABSCRIBE_UPLOAD_BUCKET": uploads.name, "TABSCRIBE_RESULTS_BUCKET": results.name}
    with signing_function("media_url", auth, monkeypatch, tmp_path, **env) as app:
        yield Reads(app, auth.host_port, doc_id)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """A GET as a browser sends it: (status, headers, body)."""
    request = urllib.request.Request(url, headers={"Origin": ORIGIN, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()
