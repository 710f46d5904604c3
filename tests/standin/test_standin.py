"""The Gemini API stand-in, driven by the real google-genai SDK in both modes (docs/standin.md)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
from pathlib import Path
from typing import Any

import pytest
from google.genai import errors, types

import standin
from functions.format.parser import parse_text
from stack.services import free_port
from tests.standin.sdk import (
    CLIP,
    CLIP_TEXT,
    FAST_RETRY,
    GS_URI,
    MODEL,
    SAMPLE,
    SAMPLE_TEXT,
    before_shutdown,
    clip_part,
    developer,
    http,
    raw,
    start_upload,
    stream,
    upload_active,
    vertex,
)

# -- the happy paths ------------------------------------------------------------------------------


def test_banner_says_it_is_a_stand_in(stand_in: standin.StandIn) -> None:
    info = http(stand_in.url + "/")
    assert "stand-in" in info["service"] and "not Gemini" in info["notice"]
    assert any(r["name"] == "trailer" for r in info["responses"])


def test_developer_upload_poll_stream_and_delete(stand_in: standin.StandIn) -> None:
    client = developer(stand_in.url)
    file = upload_active(client, str(SAMPLE))
    assert file.mime_type in ("audio/x-wav", "audio/wav") and file.uri and file.name
    assert file.size_bytes == SAMPLE.stat().st_size
    part = types.Part.from_uri(file_uri=file.uri, mime_type=file.mime_type)
    text, chunks = stream(client, part)
    assert text == SAMPLE_TEXT and len(chunks) == -(-len(SAMPLE_TEXT) // 100)
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])  # type: ignore[index]
    usage = last.usage_metadata
    assert usage and usage.prompt_token_count == 59 * 32 + 3  # audio + "Transcribe." / 4
    assert usage.candidates_token_count == -(-len(SAMPLE_TEXT) // 4)
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    modalities = {d.modality: d.token_count for d in usage.prompt_tokens_details or []}
    assert modalities == {types.MediaModality.TEXT: 3, types.MediaModality.AUDIO: 59 * 32}
    assert last.model_version == MODEL and last.response_id
    assert stand_in.calls()[-1]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    client.files.delete(name=file.name)
    with pytest.raises(errors.ClientError) as gone:
        client.files.get(name=file.name)
    assert gone.value.code == 403


def test_files_stay_processing_for_the_configured_polls(stand_in: standin.StandIn) -> None:
    stand_in.configure(processing_polls=3)
    client = developer(stand_in.url)
    uploaded = client.files.upload(file=io.BytesIO(CLIP), config={"mime_type": "video/mp4"})
    assert uploaded.name
    states = [client.files.get(name=uploaded.name).state for _ in range(4)]
    assert states == [types.FileState.PROCESSING] * 3 + [types.FileState.ACTIVE]


def test_file_processing_can_fail(stand_in: standin.StandIn) -> None:
    stand_in.configure(processing_polls=0, file_processing_fails=True)
    client = developer(stand_in.url)
    uploaded = client.files.upload(file=io.BytesIO(CLIP), config={"mime_type": "video/mp4"})
    assert uploaded.name
    got = client.files.get(name=uploaded.name)
    assert got.state == types.FileState.FAILED and got.error


@pytest.mark.parametrize(
    ("model", "resolution", "per_frame"),
    [
        ("gemini-2.5-flash", None, 258),
        ("gemini-2.5-flash", "MEDIA_RESOLUTION_LOW", 66),
        ("gemini-3-flash-preview", None, 70),
        ("gemini-3-flash-preview", "MEDIA_RESOLUTION_HIGH", 280),
    ],
)
def test_uploaded_bytes_non_streaming_with_video_tokens(
    stand_in: standin.StandIn, model: str, resolution: str | None, per_frame: int
) -> None:
    stand_in.configure(today=before_shutdown("gemini-2.5-flash"))  # 2.x served that day
    client = developer(stand_in.url)
    file = upload_active(client, io.BytesIO(CLIP), "video/mp4")
    assert file.uri
    part = types.Part.from_uri(file_uri=file.uri, mime_type="video/mp4")
    response = client.models.generate_content(
        model=model,
        contents=[part, "Transcribe."],
        config=types.GenerateContentConfig(media_resolution=resolution),
    )
    assert response.text == CLIP_TEXT
    usage = response.usage_metadata
    assert usage and usage.prompt_token_count == 10 * per_frame + 10 * 32 + 3


def test_vertex_gs_uri_streams_the_registered_text(stand_in: standin.StandIn) -> None:
    config = {"thinking_config": types.ThinkingConfig(thinking_level=types.ThinkingLevel.LOW)}
    text, chunks = stream(vertex(stand_in.url), clip_part(), "gemini-3-flash-preview", **config)
    assert text == CLIP_TEXT
    usage = chunks[-1].usage_metadata
    assert usage and usage.thoughts_token_count and usage.thoughts_token_count > 0
    call = stand_in.calls()[-1]
    assert (call["mode"], call["model"], call["mime_type"]) == (
        "vertex",
        "gemini-3-flash-preview",
        "video/mp4",
    )
    assert call["generation_config"]["thinkingConfig"]["thinkingLevel"] == "LOW"


def test_video_clip_offsets_and_fps_change_the_token_count(stand_in: standin.StandIn) -> None:
    part = clip_part()
    part.video_metadata = types.VideoMetadata(start_offset="2s", end_offset="6s", fps=2)
    _, chunks = stream(vertex(stand_in.url), part)
    usage = chunks[-1].usage_metadata
    assert usage and usage.prompt_token_count == 4 * 2 * 70 + 4 * 32 + 3


def test_vertex_reads_gs_objects_from_the_storage_emulator(
    stand_in: standin.StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gcp_storage_emulator.server import create_server
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    port = free_port()
    emulator = create_server("127.0.0.1", port, in_memory=True)
    emulator.start()
    try:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        client = storage.Client(project="p", credentials=AnonymousCredentials())
        client.create_bucket("media-bucket").blob("in/sample.wav").upload_from_filename(SAMPLE)
        part = types.Part.from_uri(
            file_uri="gs://media-bucket/in/sample.wav", mime_type="audio/wav"
        )
        text, _ = stream(vertex(stand_in.url), part)
        assert text == SAMPLE_TEXT
        missing = types.Part.from_uri(file_uri="gs://media-bucket/nope.wav", mime_type="audio/wav")
        with pytest.raises(errors.ClientError) as error:
            stream(vertex(stand_in.url), missing)
        assert error.value.code == 400 and "no such object" in str(error.value.message)
    finally:
        emulator.stop()


def test_inline_bytes_are_matched_by_hash(stand_in: standin.StandIn) -> None:
    part = types.Part.from_bytes(data=CLIP, mime_type="video/mp4")
    text, _ = stream(developer(stand_in.url), part)
    assert text == CLIP_TEXT


def test_thought_summaries_are_separate_parts(stand_in: standin.StandIn) -> None:
    thinking = types.ThinkingConfig(thinking_budget=300, include_thoughts=True)
    text, chunks = stream(vertex(stand_in.url), clip_part(), thinking_config=thinking)
    parts = [p for c in chunks for p in c.candidates[0].content.parts]  # type: ignore[index,union-attr]
    assert parts[0].thought and "voices" in (parts[0].text or "")
    assert text == CLIP_TEXT  # .text leaves thoughts out
    assert chunks[-1].usage_metadata and chunks[-1].usage_metadata.thoughts_token_count == 300


# -- unknown media --------------------------------------------------------------------------------


def test_unknown_media_gets_a_clear_stand_in_error(stand_in: standin.StandIn) -> None:
    part = types.Part.from_bytes(data=b"some other recording", mime_type="audio/mp3")
    with pytest.raises(errors.ClientError) as error:
        stream(developer(stand_in.url), part)
    message = str(error.value.message)
    assert error.value.code == 400 and error.value.status == "INVALID_ARGUMENT"
    for needle in (
        "stand-in",
        "not Gemini",
        "bundled sample media",
        "GEMINI_API_KEY",
        "TABSCRIBE_GEMINI_MODE=vertex",
        "GOOGLE_CLOUD_PROJECT",
        "unset TABSCRIBE_GEMINI_BASE_URL",
    ):
        assert needle in message


# -- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (429, errors.ClientError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (504, errors.ServerError),
    ],
)
def test_http_faults_fail_the_first_calls_only(
    stand_in: standin.StandIn, code: int, kind: type[errors.APIError]
) -> None:
    stand_in.configure(faults={"status": code, "times": 2})
    client = vertex(stand_in.url)
    for _ in range(2):
        with pytest.raises(kind) as error:
            stream(client, clip_part())
        assert error.value.code == code and "stand-in" in str(error.value.message)
    assert stream(client, clip_part())[0] == CLIP_TEXT
    assert [c["status"] for c in stand_in.calls()] == [code, code, 200]


def test_sdk_retries_recover_from_transient_faults(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"status": 503, "times": 2})
    client = developer(stand_in.url, retry_options=FAST_RETRY)
    assert stream(client, types.Part.from_bytes(data=CLIP, mime_type="video/mp4"))[0] == CLIP_TEXT
    assert len(stand_in.calls()) == 3


def test_fault_queue_applies_faults_in_order(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults=[{"status": 429, "times": 1}, {"max_tokens_after_chars": 10}])
    client = vertex(stand_in.url)
    with pytest.raises(errors.ClientError):
        stream(client, clip_part())
    for _ in range(2):  # the second fault has no `times`: every later call
        assert stream(client, clip_part())[0] == CLIP_TEXT[:10]


def test_error_mid_stream_after_some_chunks(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"error_after_chars": 250, "error_status": 500})
    stand_in.register(SAMPLE_TEXT, duration_s=59, uri="gs://tabscribe-test/y.wav")
    received: list[str] = []
    client = vertex(stand_in.url)  # kept: the stream is lazy and needs an open client
    responses = client.models.generate_content_stream(
        model=MODEL,
        contents=[
            types.Part.from_uri(file_uri="gs://tabscribe-test/y.wav", mime_type="audio/wav"),
            "T",
        ],
    )
    with pytest.raises(errors.ServerError) as error:
        for chunk in responses:
            received.append(chunk.text or "")
    assert error.value.code == 500
    assert len(received) == 3 and "".join(received) == SAMPLE_TEXT[:250]


def test_a_garbled_stream_line_raises_the_sdks_unknown_response_error(
    stand_in: standin.StandIn,
) -> None:
    stand_in.configure(faults={"garbled_after_chars": 250})
    stand_in.register(SAMPLE_TEXT, duration_s=59, uri="gs://tabscribe-test/y.wav")
    received: list[str] = []
    client = vertex(stand_in.url)
    responses = client.models.generate_content_stream(
        model=MODEL,
        contents=[
            types.Part.from_uri(file_uri="gs://tabscribe-test/y.wav", mime_type="audio/wav"),
            "T",
        ],
    )
    with pytest.raises(errors.UnknownApiResponseError):
        for chunk in responses:
            received.append(chunk.text or "")
    assert "".join(received) == SAMPLE_TEXT[:250]


def test_max_tokens_fault_truncates(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"max_tokens_after_chars": 500})
    stand_in.register(SAMPLE_TEXT, duration_s=59, uri="gs://tabscribe-test/y.wav")
    part = types.Part.from_uri(file_uri="gs://tabscribe-test/y.wav", mime_type="audio/wav")
    text, chunks = stream(vertex(stand_in.url), part)
    last = chunks[-1]
    assert text == SAMPLE_TEXT[:500]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert last.usage_metadata and last.usage_metadata.candidates_token_count == 125
    assert parse_text(text).complete is False


def test_max_output_tokens_config_truncates_like_the_real_api(stand_in: standin.StandIn) -> None:
    stand_in.register(SAMPLE_TEXT, duration_s=59, uri="gs://tabscribe-test/y.wav")
    part = types.Part.from_uri(file_uri="gs://tabscribe-test/y.wav", mime_type="audio/wav")
    text, chunks = stream(vertex(stand_in.url), part, max_output_tokens=100)
    assert text == SAMPLE_TEXT[:400]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.MAX_TOKENS  # type: ignore[index]


def test_safety_finish(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"safety_after_chars": 20})
    text, chunks = stream(vertex(stand_in.url), clip_part())
    candidate = chunks[-1].candidates[0]  # type: ignore[index]
    assert text == CLIP_TEXT[:20] and candidate.finish_reason == types.FinishReason.SAFETY
    assert any(r.blocked for r in candidate.safety_ratings or [])


def test_prompt_block(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"prompt_block": "PROHIBITED_CONTENT"})
    _, chunks = stream(vertex(stand_in.url), clip_part())
    assert len(chunks) == 1 and not chunks[0].candidates and chunks[0].text is None
    feedback = chunks[0].prompt_feedback
    assert feedback and feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


def test_malformed_output(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"malformed": True})
    text, _ = stream(vertex(stand_in.url), clip_part())
    result = parse_text(text)
    assert text and not result.segments and "no_tables" in {i.code for i in result.issues}


def test_slow_first_byte_and_token_rate(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"first_byte_delay_s": 0.3})
    began = time.monotonic()
    stream(vertex(stand_in.url), clip_part())
    assert time.monotonic() - began >= 0.3
    stand_in.configure(faults=[], token_rate=200)  # 1,473 chars = 369 tokens: about 1.8 s
    stand_in.register(SAMPLE_TEXT, duration_s=59, uri="gs://tabscribe-test/y.wav")
    part = types.Part.from_uri(file_uri="gs://tabscribe-test/y.wav", mime_type="audio/wav")
    began = time.monotonic()
    stream(vertex(stand_in.url), part, max_output_tokens=100)  # 400 chars: 0.5 s
    assert 0.45 <= time.monotonic() - began < 1.5


def test_fault_per_request_header(stand_in: standin.StandIn) -> None:
    options = types.HttpOptions(headers={"X-Standin-Fault": json.dumps({"status": 503})})
    with pytest.raises(errors.ServerError) as error:
        stream(vertex(stand_in.url), clip_part(), http_options=options)
    assert error.value.code == 503
    assert stand_in.calls()[-1]["faults"] == {"status": 503}
    assert stream(vertex(stand_in.url), clip_part())[0] == CLIP_TEXT  # queue untouched


# -- strictness -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "model", "config", "code", "needle"),
    [
        (
            types.Part.from_uri(file_uri=GS_URI, mime_type="video/mp4"),
            MODEL,
            {},
            400,
            "gs://",
        ),
        (
            types.Part.from_bytes(data=CLIP, mime_type="application/zip"),
            MODEL,
            {},
            400,
            "Unsupported MIME type",
        ),
        (
            types.Part(
                inline_data=types.Blob(data=CLIP, mime_type="video/mp4"),
                video_metadata=types.VideoMetadata(fps=30),
            ),
            MODEL,
            {},
            400,
            "fps",
        ),
        (
            types.Part.from_uri(
                file_uri="https://generativelanguage.googleapis.com/v1beta/files/nosuchfile",
                mime_type="video/mp4",
            ),
            MODEL,
            {},
            403,
            "permission",
        ),
        (types.Part.from_bytes(data=CLIP, mime_type="video/mp4"), "gpt-4", {}, 404, "not found"),
        (
            types.Part.from_bytes(data=CLIP, mime_type="video/mp4"),
            MODEL,
            {"max_output_tokens": 70_000},
            400,
            "maxOutputTokens",
        ),
    ],
)
def test_developer_api_rejects_what_gemini_rejects(
    stand_in: standin.StandIn,
    part: types.Part,
    model: str,
    config: dict[str, Any],
    code: int,
    needle: str,
) -> None:
    with pytest.raises(errors.ClientError) as error:
        stream(developer(stand_in.url), part, model, **config)
    assert error.value.code == code and needle in str(error.value.message)
    assert stand_in.calls()[-1]["status"] == code


def test_a_file_not_yet_active_is_a_failed_precondition(stand_in: standin.StandIn) -> None:
    stand_in.configure(processing_polls=5)
    client = developer(stand_in.url)
    uploaded = client.files.upload(file=io.BytesIO(CLIP), config={"mime_type": "video/mp4"})
    assert uploaded.uri
    part = types.Part.from_uri(file_uri=uploaded.uri, mime_type="video/mp4")
    with pytest.raises(errors.ClientError) as error:
        stream(client, part)
    assert (error.value.code, error.value.status) == (400, "FAILED_PRECONDITION")


def test_input_over_the_context_window_is_rejected(stand_in: standin.StandIn) -> None:
    stand_in.register(
        CLIP_TEXT, duration_s=4 * 3600, has_video=True, uri="gs://tabscribe-test/long.mp4"
    )
    parts: list[Any] = []
    for n in range(4):  # each within the video length per prompt, together over the window
        part = types.Part.from_uri(file_uri="gs://tabscribe-test/long.mp4", mime_type="video/mp4")
        part.video_metadata = types.VideoMetadata(
            start_offset=f"{n * 2700}s", end_offset=f"{(n + 1) * 2700}s"
        )
        parts.append(part)
    sdk = vertex(stand_in.url)  # kept: a dropped client is closed
    with pytest.raises(errors.ClientError) as error:
        list(sdk.models.generate_content_stream(model=MODEL, contents=[*parts, "Transcribe."]))
    assert error.value.code == 400 and "input token count" in str(error.value.message)


@pytest.mark.parametrize(
    ("path", "headers", "body", "code"),
    [
        ("/v1beta/models/gemini-3-flash-preview:generateContent", {}, b'{"contents": []}', 403),
        (
            "/v1beta1/projects/p/locations/l/publishers/google/models/gemini-3-flash-preview:"
            "generateContent",
            {"x-goog-api-key": "x"},
            b'{"contents": []}',
            401,
        ),
        (
            "/v1beta/models/gemini-3-flash-preview:generateContent",
            {"x-goog-api-key": "x"},
            b"{not json",
            400,
        ),
        (
            "/v1beta/models/gemini-3-flash-preview:generateContent",
            {"x-goog-api-key": "x"},
            b'{"generationConfig": {}}',
            400,
        ),
        ("/v1beta/files", {}, b"", 403),
    ],
)
def test_raw_requests_get_real_error_shapes(
    stand_in: standin.StandIn, path: str, headers: dict[str, str], body: bytes, code: int
) -> None:
    method = "GET" if path.endswith("/files") else "POST"
    status, _, data = raw(stand_in.url + path, method, headers, body)
    error = json.loads(data)["error"]
    assert status == code == error["code"]
    assert error["status"] and error["message"]


def test_upload_offsets_are_checked(stand_in: standin.StandIn) -> None:
    body = json.dumps({"file": {"display_name": "a"}}).encode()
    status, headers, _ = start_upload(stand_in.url, 10, "audio/wav", body)
    upload_url = headers["X-Goog-Upload-URL"]
    assert status == 200 and upload_url.startswith("http://")
    status, headers, _ = raw(
        upload_url,
        body=b"12345",
        headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "3"},
    )
    assert status == 400 and headers["X-Goog-Upload-Status"] == "final"
    status, headers, data = raw(
        upload_url,
        body=b"1234567890",
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
    )
    assert status == 200 and headers["X-Goog-Upload-Status"] == "final"
    assert json.loads(data)["file"]["state"] == "PROCESSING"


def test_sse_framing_is_what_the_sdk_parses(stand_in: standin.StandIn) -> None:
    body = {
        "contents": [
            {
                "parts": [
                    {
                        "inline_data": {
                            "data": base64.b64encode(CLIP).decode(),
                            "mime_type": "video/mp4",
                        }
                    }
                ]
            }
        ]
    }
    _, headers, data = raw(
        stand_in.url + "/v1beta/models/gemini-3-flash-preview:streamGenerateContent?alt=sse",
        headers={"x-goog-api-key": "x"},
        body=json.dumps(body).encode(),
    )
    text = data.decode()
    assert headers["Content-Type"] == "text/event-stream"
    assert text.endswith("\n\n") and "[DONE]" not in text and "event:" not in text
    events = [json.loads(e.removeprefix("data: ")) for e in text.split("\n\n") if e]
    assert all(e.startswith("data: {") for e in text.split("\n\n") if e)
    assert "CONTINUATION" not in text
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert {
        "promptTokenCount",
        "candidatesTokenCount",
        "totalTokenCount",
        "promptTokensDetails",
        "cachedContentTokenCount",
    } <= set(events[-1]["usageMetadata"])


# -- control API and command line -----------------------------------------------------------------


def test_control_api_over_http(stand_in: standin.StandIn) -> None:
    media = b"registered over http"
    http(
        stand_in.url + "/_standin/responses",
        "POST",
        {"media_base64": base64.b64encode(media).decode(), "text": "hello", "duration_s": 5},
    )
    http(stand_in.url + "/_standin/faults", "POST", {"faults": [{"status": 429, "times": 1}]})
    http(stand_in.url + "/_standin/config", "POST", {"chunk_chars": 2})
    assert http(stand_in.url + "/_standin/faults")["faults"][0]["remaining"] == 1
    client = developer(stand_in.url)
    part = types.Part.from_bytes(data=media, mime_type="audio/wav")
    with pytest.raises(errors.ClientError):
        stream(client, part)
    text, chunks = stream(client, part)
    assert text == "hello" and len(chunks) == 3
    calls = http(stand_in.url + "/_standin/calls")["calls"]
    assert [c["faults"] for c in calls] == [{"status": 429}, {}]
    assert calls[1]["sha256"] == hashlib.sha256(media).hexdigest()
    with pytest.raises(urllib.error.HTTPError) as bad:
        http(stand_in.url + "/_standin/faults", "POST", {"explode": True})
    assert bad.value.code == 400
    http(stand_in.url + "/_standin/reset", "POST", {})
    assert http(stand_in.url + "/_standin/calls")["calls"] == []
    assert http(stand_in.url + "/_standin/config")["chunk_chars"] == 100


def test_command_line_prints_the_banner_and_serves() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(standin.__file__).parent.parent)}
    process = subprocess.Popen(
        [sys.executable, "-m", "standin", "--port", str(port), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert "stand-in" in banner and "NOT Gemini" in banner and str(port) in banner
        assert "not Gemini" in http(f"http://127.0.0.1:{port}/_standin/info")["notice"]
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_count_tokens_matches_the_usage_of_a_call(stand_in: standin.StandIn) -> None:
    for client in (developer(stand_in.url), vertex(stand_in.url)):
        part = types.Part.from_bytes(data=CLIP, mime_type="video/mp4")
        counted = client.models.count_tokens(model=MODEL, contents=[part, "Hi."])
        assert counted.total_tokens == 10 * 70 + 10 * 32 + 1
