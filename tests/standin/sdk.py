"""The real google-genai SDK pointed at a stand-in, in both modes, and what the tests send."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Literal

import google.oauth2.credentials
from google import genai
from google.genai import types

import standin
from functions.core.catalog import catalog
from functions.transcribe.gemini import API_VERSIONS
from standin.registry import BUNDLED_DIR, entry_from_dict

SpeakerTuple = tuple[int, str | None, str | None, str | None, str | None, int | None]


def bundled(name: str) -> dict[str, Any]:
    """A bundled response (standin/responses/NAME.json) as its JSON."""
    data: dict[str, Any] = json.loads((BUNDLED_DIR / f"{name}.json").read_text("utf-8"))
    return data


def authored_json(
    rows: list[tuple[int, int | None, str]], speakers: list[SpeakerTuple]
) -> dict[str, Any]:
    """`rows` and `speakers` as a response's JSON has them, from tuples."""
    keys = ("voice", "name", "company", "position", "role", "evidence_ms")
    return {
        "rows": [{"start_ms": s, "voice": v, "text": t} for s, v, t in rows],
        "speakers": [dict(zip(keys, speaker, strict=True)) for speaker in speakers],
    }


def answer_of(data: dict[str, Any]) -> dict[str, Any]:
    """The answer of a response's JSON: its `rows` and `speakers` (to register or write)."""
    return {"rows": data["rows"], "speakers": data["speakers"]}


SAMPLE = Path(standin.__file__).parent / "samples" / "trailer-silent.wav"
SAMPLE_TEXT = entry_from_dict(
    bundled("trailer")
).text  # the whole trailer, as the stand-in writes it
CLIP = b"\x00\x00\x00\x18ftypmp42 stand-in test clip " * 40  # bytes only; never decoded
CLIP_ANSWER = authored_json(
    [(1000, 1, "Hello from the clip.")], [(1, None, None, None, None, None)]
)
CLIP_TEXT = (  # the clip's whole answer, as the stand-in writes CLIP_ANSWER
    "<TRANSCRIPT>\nstart\tvoice\ttext\n00:01\t1\tHello from the clip.\n</TRANSCRIPT>\n"
    "<SPEAKERS>\nvoice\tname\tcompany\tposition\trole\tevidence\n1\t?\t?\t?\t?\t?\n</SPEAKERS>\n"
)
GS_URI = "gs://tabscribe-test/uploads/alice/clip.mp4"
FAST_RETRY = types.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.02, jitter=0)
MODEL = catalog().default
PREFERRED_LOCATION = "us-central1"  # where the product asks first (Model.vertex_location)
MODES = ("developer", "vertex")
Mode = Literal["developer", "vertex"]


def location_of(model: str) -> str:
    found = catalog().get(model)
    return found.vertex_location(PREFERRED_LOCATION) if found else "global"


def before_shutdown(model: str) -> str:
    """The last day `model` was served (ISO date), for the stand-in's `today` setting."""
    found = catalog().get(model)
    assert found is not None and found.shutdown is not None
    return (found.shutdown - dt.timedelta(days=1)).isoformat()


def developer(url: str, **options: Any) -> genai.Client:
    """A Developer API client on the product's API version unless `api_version` says otherwise."""
    options = {"api_version": API_VERSIONS["developer"], **options}
    return genai.Client(api_key="x", http_options=types.HttpOptions(base_url=url, **options))


def vertex(url: str, location: str | None = None, **options: Any) -> genai.Client:
    """A Vertex client on the product's API version unless `api_version` says otherwise."""
    options = {"api_version": API_VERSIONS["vertex"], **options}
    return genai.Client(
        vertexai=True,
        project="p",
        location=location or location_of(MODEL),
        credentials=google.oauth2.credentials.Credentials(token="x"),  # type: ignore[no-untyped-call]
        http_options=types.HttpOptions(base_url=url, **options),
    )


def client(mode: Mode, url: str, model: str = MODEL, **options: Any) -> genai.Client:
    """A client of `mode`; on Vertex at the model's location as the product picks it."""
    if mode == "developer":
        return developer(url, **options)
    return vertex(url, location_of(model), **options)


def clip_part() -> types.Part:
    return types.Part.from_uri(file_uri=GS_URI, mime_type="video/mp4")


def stream(
    client: genai.Client, part: types.Part, model: str = MODEL, **config: Any
) -> tuple[str, list[types.GenerateContentResponse]]:
    chunks = list(
        client.models.generate_content_stream(
            model=model,
            contents=[part, "Transcribe."],
            config=types.GenerateContentConfig(**config),
        )
    )
    return "".join(c.text or "" for c in chunks), chunks


def upload_active(client: genai.Client, file: Any, mime: str | None = None) -> types.File:
    uploaded = client.files.upload(file=file, config={"mime_type": mime} if mime else None)
    assert uploaded.state == types.FileState.PROCESSING and uploaded.name
    for _ in range(50):
        got = client.files.get(name=uploaded.name)
        if got.state == types.FileState.ACTIVE:
            return got
        time.sleep(0.01)
    raise AssertionError("file never became ACTIVE")


def raw(
    url: str, method: str = "POST", headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, Any, bytes]:
    """(status, headers, body) of one plain HTTP request, errors included."""
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def http(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def start_upload(
    url: str, size: int, mime_type: str = "video/mp4", body: bytes = b'{"file": {}}'
) -> tuple[int, Any, bytes]:
    """Open a resumable Files API upload declaring `size` bytes: (status, headers, body)."""
    return raw(
        url + "/upload/v1beta/files",
        headers={
            "x-goog-api-key": "x",
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": mime_type,
            "Content-Type": "application/json",
        },
        body=body,
    )
