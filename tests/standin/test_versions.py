"""API versions (decision 0015): the product's client sends each mode to its pinned version, the
stand-in serves the versions the service serves, and refuses a field a version lacks."""

from __future__ import annotations

import io
import time

import pytest
from google import genai
from google.genai import errors, types

import standin
from functions.core.catalog import catalog
from functions.transcribe import gemini
from functions.transcribe.plan import Plan
from tests.standin.sdk import CLIP, GS_URI, MODEL, Mode, client, location_of, stream
from tests.standin.sdk import developer as developer_client
from tests.standin.sdk import vertex as vertex_client

MODES: tuple[Mode, ...] = ("developer", "vertex")


def product_client(mode: Mode, url: str) -> genai.Client:
    gemini._client.cache_clear()
    return gemini._client(mode, "test-key", url, "p", location_of(MODEL))


def media_uri(mode: Mode, gemini_client: genai.Client) -> str:
    """The clip as the product sends it: gs:// on Vertex, a Files API copy on the Developer API."""
    if mode == "vertex":
        return GS_URI
    deadline = time.monotonic() + 10
    file = gemini.upload(gemini_client, io.BytesIO(CLIP), "video/mp4", "clip", deadline)
    return file.uri or ""


def video_plan() -> Plan:
    """A Gemini 3 video clip: per-part media resolution and video offsets."""
    model = catalog().get(MODEL)
    assert model is not None and model.generation == 3
    return Plan(
        model=MODEL,
        generation=3,
        mime_type="video/mp4",
        has_video=True,
        duration_s=4.0,
        start_s=1.0,
        end_s=5.0,
        media_resolution="low",
        fps=0.5,
        timecode_format="MM:SS",
        max_output_tokens=1024,
        temperature=None,
        top_p=None,
        seed=None,
        estimated_input_tokens=None,
    )


@pytest.mark.parametrize("mode", MODES)
def test_the_products_client_sends_its_pinned_version(
    stand_in: standin.StandIn, mode: Mode
) -> None:
    gemini_client = product_client(mode, stand_in.url)
    plan = video_plan()
    parts = gemini.parts(media_uri(mode, gemini_client), plan, "Transcribe.")
    result = gemini.StreamResult()
    gemini.stream(gemini_client, plan, parts, lambda _: None, result, 30)
    [call] = stand_in.calls()
    assert (call["mode"], call["version"], call["status"]) == (mode, gemini.API_VERSIONS[mode], 200)
    assert call["media"][0]["resolution"] == "MEDIA_RESOLUTION_LOW"
    assert result.finish_reason == "STOP"


def test_per_part_media_resolution_is_refused_on_developer_v1(stand_in: standin.StandIn) -> None:
    part = gemini.media_part(GS_URI, video_plan())
    with pytest.raises(errors.ClientError) as caught:
        stream(developer_client(stand_in.url, api_version="v1"), part)
    error = caught.value
    assert error.code == 400 and error.status == "INVALID_ARGUMENT"
    assert error.message == (
        'Invalid JSON payload received. Unknown name "mediaResolution" at '
        "'contents[0].parts[0]': Cannot find field."
    )
    [call] = stand_in.calls()
    assert call["version"] == "v1" and call["status"] == 400


def test_audio_offsets_are_refused_on_vertex_v1_and_accepted_on_v1beta1(
    stand_in: standin.StandIn,
) -> None:
    part = types.Part(
        file_data=types.FileData(file_uri=GS_URI, mime_type="video/mp4"),
        audio_metadata=types.AudioMetadata(start_offset="1s", end_offset="4s"),
    )
    with pytest.raises(errors.ClientError) as caught:
        stream(vertex_client(stand_in.url, location_of(MODEL), api_version="v1"), part)
    assert caught.value.code == 400 and '"audioMetadata"' in (caught.value.message or "")
    text, _ = stream(client("vertex", stand_in.url), part)
    assert text  # the product's version takes it


@pytest.mark.parametrize(("mode", "version"), [("developer", "v1beta1"), ("vertex", "v1beta")])
def test_a_version_the_mode_does_not_serve_is_not_found(
    stand_in: standin.StandIn, mode: Mode, version: str
) -> None:
    with pytest.raises(errors.ClientError) as caught:
        part = gemini.media_part(GS_URI, video_plan())
        stream(client(mode, stand_in.url, api_version=version), part)
    assert caught.value.code == 404
    assert stand_in.calls() == []
