"""What the end-to-end tests of long media (clips, decision 0010) compare against: the authored
answers of the bundled samples, and the stand-in's control API and call log on a running stack."""

from __future__ import annotations

import json
import mimetypes
import urllib.request
from pathlib import Path
from typing import Any

from functions.core import clients
from functions.core.documents import transcription_id
from stack.follow import MIME_TYPES, read_segments, wait_for_terminal
from stack.local import BUCKET, LocalStack
from standin.authored import Authored, authored_from_json
from tests.paths import ROOT

SAMPLES = ROOT / "samples"
RESPONSES = ROOT / "standin" / "responses"


def answer(response: str) -> Authored:
    """The authored rows and speakers of a bundled response (the stand-in answers from them)."""
    data = json.loads((RESPONSES / f"{response}.json").read_text())
    return authored_from_json(data["rows"], data["speakers"])


def duration_s(response: str) -> float:
    return float(json.loads((RESPONSES / f"{response}.json").read_text())["duration_s"])


def authored(response: str) -> list[tuple[int, str]]:
    return [(row.start_ms, row.text) for row in answer(response).rows]


def rows(segments: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(s["start_ms"], s["text"]) for s in segments]


def findable_names(response: str, ranges: list[dict[str, int]]) -> set[str]:
    """The authored names a clip can give: a model names a speaker in a clip where the evidence
    is and the speaker talks (the stand-in answers so)."""
    authored = answer(response)

    def in_clip(at_ms: int, clip: dict[str, int]) -> bool:
        return clip["start_ms"] <= at_ms < clip["end_ms"]

    return {
        s.name
        for s in authored.speakers
        if s.name
        and s.evidence_ms is not None
        and any(
            in_clip(s.evidence_ms, clip)
            and any(in_clip(row.start_ms, clip) for row in authored.rows if row.voice == s.voice)
            for clip in ranges
        )
    }


def put_as(path: Path, name: str) -> Any:
    """Upload `path` as object `name` (a new generation if it exists); the blob."""
    blob = clients.storage_client().bucket(BUCKET).blob(name)
    content_type = MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    blob.upload_from_filename(str(path), content_type=content_type)
    return blob


def finish(local: LocalStack, blob: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The terminal document of the blob's generation and its segments as apps read them."""
    doc = wait_for_terminal(blob.name, local.logs, blob.generation)
    return doc, read_segments(transcription_id(BUCKET, blob.name), doc)


def standin(local: LocalStack, path: str, body: Any = None) -> Any:
    """GET (or POST `body` to) the stand-in's `/_standin/<path>`."""
    url = f"{local.env['TABSCRIBE_GEMINI_BASE_URL']}/_standin/{path}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def model_calls(local: LocalStack) -> list[dict[str, Any]]:
    """The stand-in's model calls since its last reset (countTokens aside)."""
    calls = standin(local, "calls")["calls"]
    return [c for c in calls if c.get("method") != "countTokens"]


def clip_of(call: dict[str, Any]) -> tuple[float, float | None]:
    """(start, end) seconds a call asked for; end None: to the end of the media."""
    media = call["media"][0]
    return media["start_s"], media["end_s"]


def plan_of(ranges: list[dict[str, int]]) -> list[tuple[float, float | None]]:
    """The (start, end) seconds the transcriber asks for each clip of a document's plan (the
    last clip runs to the end of the media)."""
    last = len(ranges) - 1
    return [
        (r["start_ms"] / 1000, None if i == last else r["end_ms"] / 1000)
        for i, r in enumerate(ranges)
    ]
