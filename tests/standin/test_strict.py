"""The stand-in refuses what the service refuses, per model, from the shared catalog; the real SDK
in both modes (docs/standin.md, "Strict like the real API")."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import errors, types

import standin
from functions.core.catalog import Model, catalog
from tests.standin.sdk import (
    CLIP,
    CLIP_TEXT,
    GS_URI,
    MODEL,
    MODES,
    PREFERRED_LOCATION,
    Mode,
    before_shutdown,
    client,
    location_of,
    start_upload,
    stream,
    vertex,
)

OLD = "gemini-2.5-flash"  # shut down; served again by setting the stand-in's date before it
PRO = "gemini-3.1-pro-preview"
LONG = "gs://tabscribe-test/uploads/alice/long.mp4"
PREVIEW = "gemini-3-flash-preview"  # served at Vertex location global only; takes MINIMAL


def clip(mime: str = "video/mp4", resolution: str | None = None) -> types.Part:
    """The registered clip's bytes inline (both modes take inline data)."""
    part = types.Part.from_bytes(data=CLIP, mime_type=mime)
    if resolution is not None:
        part.media_resolution = types.PartMediaResolution(level=resolution)
    return part


def refused(
    stand_in: standin.StandIn, mode: Mode, model: str, part: types.Part, **config: Any
) -> errors.ClientError:
    with pytest.raises(errors.ClientError) as error:
        stream(client(mode, stand_in.url, model), part, model, **config)
    assert stand_in.calls()[-1]["status"] == error.value.code
    return error.value


def accepted(
    stand_in: standin.StandIn, mode: Mode, model: str, part: types.Part, **config: Any
) -> list[types.GenerateContentResponse]:
    text, chunks = stream(client(mode, stand_in.url, model), part, model, **config)
    assert text == CLIP_TEXT and chunks[-1].model_version == model
    return chunks


# -- models and locations -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview", "gemini-9-foo"])
def test_unknown_and_shut_down_models_are_not_found(
    stand_in: standin.StandIn, mode: Mode, model: str
) -> None:
    error = refused(stand_in, mode, model, clip())
    assert (error.code, error.status) == (404, "NOT_FOUND")
    if mode == "developer":
        assert str(error.message).startswith(f"models/{model} is not found for API version v1")
        assert "or is not supported for generateContent" in str(error.message)
    else:
        name = f"projects/p/locations/{location_of(model)}/publishers/google/models/{model}"
        assert str(error.message) == (
            f"Publisher Model `{name}` was not found or your project does not have access to "
            "it. Please ensure you are using a valid model version."
        )


def test_count_tokens_on_an_unknown_model_names_its_method(stand_in: standin.StandIn) -> None:
    sdk = client("developer", stand_in.url)
    with pytest.raises(errors.ClientError) as error:
        sdk.models.count_tokens(model="gemini-9-foo", contents=[clip()])
    assert error.value.code == 404 and "is not supported for countTokens." in str(
        error.value.message
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_model_is_served_until_its_catalog_shutdown_date(
    stand_in: standin.StandIn, mode: Mode
) -> None:
    stand_in.configure(today=before_shutdown(OLD))
    accepted(stand_in, mode, OLD, clip())
    shutdown = catalog().get(OLD).shutdown  # type: ignore[union-attr]
    stand_in.configure(today=str(shutdown))
    assert refused(stand_in, mode, OLD, clip()).code == 404


@pytest.mark.parametrize("method", ["generate_content", "count_tokens"])
def test_vertex_refuses_a_location_the_model_is_not_served_in(
    stand_in: standin.StandIn, method: str
) -> None:
    assert catalog().get(PREVIEW).vertex_locations == ("global",)  # type: ignore[union-attr]
    unserved = vertex(stand_in.url, PREFERRED_LOCATION)  # kept: a dropped client is closed
    call = getattr(unserved.models, method)
    with pytest.raises(errors.ClientError) as error:
        call(model=PREVIEW, contents=[clip(), "Transcribe."])
    name = f"projects/p/locations/{PREFERRED_LOCATION}/publishers/google/models/{PREVIEW}"
    assert error.value.code == 404 and f"Publisher Model `{name}` was not found" in str(
        error.value.message
    )
    served = vertex(stand_in.url, "global")
    counted = served.models.count_tokens(model=PREVIEW, contents=[clip()])
    assert counted.total_tokens == 10 * 70 + 10 * 32


def test_the_developer_api_has_no_location_to_refuse(stand_in: standin.StandIn) -> None:
    accepted(stand_in, "developer", PREVIEW, clip())  # the model Vertex serves at global only
    assert "location" not in stand_in.calls()[-1]


# -- generation config per model ------------------------------------------------------------------

LEVEL = types.ThinkingConfig
REFUSALS = [
    (PRO, clip(), {"thinking_config": LEVEL(thinking_level="MINIMAL")}, "Thinking level MINIMAL"),
    ("gemini-3.8-flash", clip(), {"thinking_config": LEVEL(thinking_level="MINIMAL")}, "MINIMAL"),
    (OLD, clip(), {"thinking_config": LEVEL(thinking_level="LOW")}, "Thinking level is not"),
    (OLD, clip(), {"thinking_config": LEVEL(thinking_budget=24_577)}, "between 0 and 24576"),
    (OLD, clip(), {"thinking_config": LEVEL(thinking_budget=-2)}, "between 0 and 24576"),
    ("gemini-2.5-pro", clip(), {"thinking_config": LEVEL(thinking_budget=0)}, "thinking mode"),
    ("gemini-2.5-pro", clip(), {"thinking_config": LEVEL(thinking_budget=127)}, "128 and 32768"),
    (
        MODEL,
        clip(),
        {"thinking_config": LEVEL(thinking_level="LOW", thinking_budget=128)},
        "only one of thinking budget and thinking level",
    ),
    (OLD, clip(resolution="MEDIA_RESOLUTION_HIGH"), {}, "Per-part media resolution"),
    (MODEL, clip(resolution="MEDIA_RESOLUTION_ULTRA_HIGH"), {}, "images only"),
    pytest.param(
        MODEL,
        clip(),
        {"media_resolution": "MEDIA_RESOLUTION_ULTRA_HIGH"},  # the SDK warns: a Part-only level
        "images only",
        marks=pytest.mark.filterwarnings("ignore:MEDIA_RESOLUTION_ULTRA_HIGH"),
    ),
    (MODEL, clip(), {"max_output_tokens": 65_537}, "maxOutputTokens value of 65537"),
]
ACCEPTANCES = [
    (PRO, clip(), {"thinking_config": LEVEL(thinking_level="LOW")}),
    (PREVIEW, clip(), {"thinking_config": LEVEL(thinking_level="MINIMAL")}),
    ("gemini-3.8-flash", clip(), {"thinking_config": LEVEL(thinking_level="LOW")}),
    (OLD, clip(), {"thinking_config": LEVEL(thinking_budget=24_576)}),
    (OLD, clip(), {"thinking_config": LEVEL(thinking_budget=-1)}),  # dynamic
    (OLD, clip(), {"thinking_config": LEVEL(thinking_budget=0)}),  # off
    ("gemini-2.5-pro", clip(), {"thinking_config": LEVEL(thinking_budget=128)}),
    (OLD, clip(), {"media_resolution": "MEDIA_RESOLUTION_LOW"}),
    (MODEL, clip(resolution="MEDIA_RESOLUTION_HIGH"), {}),
    (MODEL, clip("audio/mp3", "MEDIA_RESOLUTION_ULTRA_HIGH"), {}),  # not video
    (MODEL, clip(), {"max_output_tokens": 65_536}),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("model", "part", "config", "needle"), REFUSALS)
def test_generation_config_outside_the_models_catalog_entry_is_refused(
    stand_in: standin.StandIn,
    mode: Mode,
    model: str,
    part: types.Part,
    config: dict[str, Any],
    needle: str,
) -> None:
    stand_in.configure(today=before_shutdown(OLD))  # 2.x served that day
    error = refused(stand_in, mode, model, part, **config)
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT")
    assert needle in str(error.message)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("model", "part", "config"), ACCEPTANCES)
def test_generation_config_inside_the_models_catalog_entry_is_accepted(
    stand_in: standin.StandIn, mode: Mode, model: str, part: types.Part, config: dict[str, Any]
) -> None:
    stand_in.configure(today=before_shutdown(OLD))
    accepted(stand_in, mode, model, part, **config)


# -- MIME types per mode --------------------------------------------------------------------------

MIME_CASES = {
    "vertex": {
        "refused": ["video/mov", "video/avi", "audio/aiff", "audio/aac", "audio/x-wav"],
        "accepted": ["video/quicktime", "audio/x-aac", "video/mpegps", "audio/mpeg", "audio/mp4"],
    },
    "developer": {
        "refused": ["video/mpegps", "video/x-matroska", "application/zip"],
        "accepted": [
            *["video/mov", "video/avi", "audio/aiff", "audio/aac", "audio/mp3", "audio/wav"],
            *["audio/x-wav", "audio/mpeg", "audio/mp4", "video/quicktime", "video/x-msvideo"],
        ],
    },
}


@pytest.mark.parametrize(
    ("mode", "mime"), [(m, t) for m, cases in MIME_CASES.items() for t in cases["refused"]]
)
def test_mime_types_the_mode_does_not_list_are_refused(
    stand_in: standin.StandIn, mode: Mode, mime: str
) -> None:
    error = refused(stand_in, mode, MODEL, clip(mime))
    assert error.code == 400 and str(error.message) == f"Unsupported MIME type: {mime}"


@pytest.mark.parametrize(
    ("mode", "mime"), [(m, t) for m, cases in MIME_CASES.items() for t in cases["accepted"]]
)
def test_mime_types_the_mode_lists_are_accepted(
    stand_in: standin.StandIn, mode: Mode, mime: str
) -> None:
    accepted(stand_in, mode, MODEL, clip(mime))
    assert stand_in.calls()[-1]["mime_type"] == mime


def test_the_vertex_list_is_the_catalogs() -> None:
    listed = catalog().mime_types
    assert {"video/mov", "audio/aac"} & listed["vertex"] == set()
    assert {"video/quicktime", "audio/x-aac"} <= listed["vertex"]
    assert {"video/mov", "audio/aac"} <= listed["developer"]


# -- every served model, asked the way the product asks -------------------------------------------


def product_request(model: Model) -> tuple[types.Part, dict[str, Any]]:
    """Thinking from the catalog's plan values; resolution per part on Gemini 3, else config."""
    if model.generation >= 3:
        thinking = types.ThinkingConfig(thinking_level=model.plan_thinking_level)
        return clip(resolution="MEDIA_RESOLUTION_HIGH"), {"thinking_config": thinking}
    assert model.thinking_budget is not None
    return clip(), {
        "thinking_config": types.ThinkingConfig(thinking_budget=model.thinking_budget.plan),
        "media_resolution": "MEDIA_RESOLUTION_LOW",
        "max_output_tokens": model.max_output_tokens,
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model_id", catalog().served())
def test_every_served_model_accepts_the_products_request(
    stand_in: standin.StandIn, mode: Mode, model_id: str
) -> None:
    model = catalog().get(model_id)
    assert model is not None
    part, config = product_request(model)
    chunks = accepted(stand_in, mode, model_id, part, **config)
    usage = chunks[-1].usage_metadata
    per_frame = model.frame_tokens["high"]
    assert usage and usage.prompt_token_count == 10 * (per_frame + model.audio_tokens_per_s) + 3
    if mode == "vertex":
        assert stand_in.calls()[-1]["location"] == model.vertex_location(PREFERRED_LOCATION)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model_id", [m.id for m in catalog().models.values() if m.shutdown])
def test_shut_down_models_accepted_the_products_request_while_served(
    stand_in: standin.StandIn, mode: Mode, model_id: str
) -> None:
    model = catalog().get(model_id)
    assert model is not None
    stand_in.configure(today=before_shutdown(model_id))
    part, config = product_request(model)
    accepted(stand_in, mode, model_id, part, **config)


# -- what the responses carry ---------------------------------------------------------------------


def quota_details(error: errors.APIError) -> dict[str, Any]:
    """The google.rpc details of an error body, by type name."""
    details = error.details["error"]["details"]
    return {d["@type"].rsplit(".", 1)[-1]: d for d in details}


@pytest.mark.parametrize("mode", MODES)
def test_429_carries_quota_failure_and_retry_info(stand_in: standin.StandIn, mode: Mode) -> None:
    stand_in.configure(faults={"status": 429, "times": 1})
    error = refused(stand_in, mode, MODEL, clip())
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    details = quota_details(error)
    violation = details["QuotaFailure"]["violations"][0]
    assert violation["quotaId"] == "GenerateContentPaidTierInputTokensPerModelPerMinute"
    assert violation["quotaMetric"].endswith("generate_content_paid_tier_input_token_count")
    assert violation["quotaDimensions"] == {"location": "global", "model": MODEL}
    assert violation["quotaValue"]
    assert details["RetryInfo"]["retryDelay"] == "38s"
    assert details["Help"]["links"][0]["url"].startswith("https://")


@pytest.mark.parametrize("mode", MODES)
def test_429_per_day_quota_and_retry_delay_are_configurable(
    stand_in: standin.StandIn, mode: Mode
) -> None:
    stand_in.configure(faults={"status": 429, "quota": "day", "retry_delay_s": 3600.5})
    details = quota_details(refused(stand_in, mode, MODEL, clip()))
    assert "PerDay" in details["QuotaFailure"]["violations"][0]["quotaId"]
    assert details["RetryInfo"]["retryDelay"] == "3600.5s"
    stand_in.configure(faults={"status": 429, "retry_delay_s": None})
    assert "RetryInfo" not in quota_details(refused(stand_in, mode, MODEL, clip()))


def test_a_429_mid_stream_carries_the_details_too(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"error_after_chars": 20, "error_status": 429})
    developer = client("developer", stand_in.url)  # kept: the stream needs an open client
    responses = developer.models.generate_content_stream(model=MODEL, contents=[clip(), "T"])
    with pytest.raises(errors.ClientError) as error:
        list(responses)
    assert error.value.code == 429 and quota_details(error.value)["RetryInfo"]


def test_other_faults_carry_no_details(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults={"status": 503})
    with pytest.raises(errors.ServerError) as error:
        stream(client("developer", stand_in.url), clip())
    assert "details" not in error.value.details["error"]


@pytest.mark.parametrize("mode", MODES)
def test_usage_has_cached_tokens_and_modalities_on_the_last_chunk(
    stand_in: standin.StandIn, mode: Mode
) -> None:
    chunks = accepted(stand_in, mode, MODEL, clip(resolution="MEDIA_RESOLUTION_HIGH"))
    model = catalog().get(MODEL)
    assert model is not None
    last, first = chunks[-1].usage_metadata, chunks[0].usage_metadata
    assert last and last.cached_content_token_count == 0
    modalities = {d.modality: d.token_count for d in last.prompt_tokens_details or []}
    assert modalities == {
        types.MediaModality.TEXT: 3,
        types.MediaModality.VIDEO: 10 * model.frame_tokens["high"],
        types.MediaModality.AUDIO: 10 * model.audio_tokens_per_s,
    }
    assert last.prompt_token_count == sum(n or 0 for n in modalities.values())
    assert len(chunks) == 1 or (first and first.cached_content_token_count is None)


@pytest.mark.parametrize("mode", MODES)
def test_audio_metadata_offsets_clip_the_counted_audio(
    stand_in: standin.StandIn, mode: Mode
) -> None:
    part = clip("audio/mp3")
    part.audio_metadata = types.AudioMetadata(start_offset="0.5s", end_offset="5s")
    text, chunks = stream(client(mode, stand_in.url), part)
    assert "00:00\t1\tHello from the clip." in text  # the clip's answer: 00:01 is 0.5 s in
    usage = chunks[-1].usage_metadata
    assert usage and usage.prompt_token_count == round(4.5 * 32) + 3
    part.audio_metadata = types.AudioMetadata(start_offset="6s", end_offset="2s")
    assert "audio_metadata.end_offset" in str(refused(stand_in, mode, MODEL, part).message)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("signature_part", [False, True])
def test_gemini_3_parts_carry_a_thought_signature(
    stand_in: standin.StandIn, mode: Mode, signature_part: bool
) -> None:
    stand_in.configure(chunk_chars=20, signature_part=signature_part)
    chunks = accepted(stand_in, mode, MODEL, clip())  # .text ignores the signature
    parts = [p for c in chunks for p in c.candidates[0].content.parts]  # type: ignore[index,union-attr]
    signed = [p for p in parts if p.thought_signature]
    assert len(signed) == 1 and len(signed[0].thought_signature or b"") > 16
    assert (signed[0] is parts[-1] and signed[0].text == "") is signature_part
    assert (signed[0] is parts[0] and signed[0].text == CLIP_TEXT[:20]) is not signature_part
    sdk = client(mode, stand_in.url)
    whole = sdk.models.generate_content(model=MODEL, contents=[clip()])
    assert whole.text == CLIP_TEXT
    assert whole.candidates[0].content.parts[0].thought_signature  # type: ignore[index,union-attr]


@pytest.mark.parametrize("mode", MODES)
def test_gemini_2_parts_carry_no_signature(stand_in: standin.StandIn, mode: Mode) -> None:
    stand_in.configure(today=before_shutdown(OLD))
    chunks = accepted(stand_in, mode, OLD, clip())
    parts = [p for c in chunks for p in c.candidates[0].content.parts]  # type: ignore[index,union-attr]
    assert parts and not any(p.thought_signature for p in parts)


# -- per-prompt limits (the catalog's `limits`, counted by the stand-in's own code) --------------


def parts_of(count: int, mime: str = "video/mp4", start_s: int = 0) -> list[Any]:
    """`count` parts on the registered clip's object, each at its own offsets."""
    found: list[Any] = []
    for n in range(count):
        part = types.Part.from_uri(file_uri=GS_URI, mime_type=mime)
        offsets = {"start_offset": f"{start_s + n}s", "end_offset": f"{start_s + n + 1}s"}
        if mime.startswith("video/"):
            part.video_metadata = types.VideoMetadata(**offsets)
        else:
            part.audio_metadata = types.AudioMetadata(**offsets)
        found += [f"Clip {n + 1}:", part]
    return [*found, "Transcribe."]


def send(stand_in: standin.StandIn, contents: list[Any], model: str = MODEL) -> Any:
    sdk = vertex(stand_in.url, location_of(model))  # kept: a dropped client is closed
    return sdk.models.generate_content(model=model, contents=contents)


def test_eleven_video_parts_are_refused_with_the_services_words(
    stand_in: standin.StandIn,
) -> None:
    limit = catalog().models[MODEL].limits.videos_per_prompt
    assert send(stand_in, parts_of(limit)).text  # ten: accepted
    with pytest.raises(errors.ClientError) as error:
        send(stand_in, parts_of(limit + 1))
    assert (error.value.code, error.value.status) == (400, "INVALID_ARGUMENT")
    assert error.value.message == (
        "Unable to submit request because it has 11 video files but the model only supports "
        "up to 10."
    )
    assert stand_in.calls()[-1]["status"] == 400


def test_two_audio_files_are_refused(stand_in: standin.StandIn) -> None:
    with pytest.raises(errors.ClientError) as error:
        send(stand_in, parts_of(2, "audio/mp4"))
    assert (error.value.code, error.value.status) == (400, "INVALID_ARGUMENT")
    assert error.value.message == (
        "Unable to submit request because it has 2 audio files but the model only supports up to 1."
    )


def test_a_video_part_longer_than_the_prompt_takes_is_refused(stand_in: standin.StandIn) -> None:
    most = catalog().models[MODEL].limits.video_s_with_audio
    part = types.Part.from_uri(file_uri=GS_URI, mime_type="video/mp4")
    part.video_metadata = types.VideoMetadata(start_offset="0s", end_offset=f"{most:g}s")
    assert send(stand_in, [part, "Transcribe."]).text  # exactly the limit: accepted
    part.video_metadata = types.VideoMetadata(start_offset="0s", end_offset=f"{most + 1:g}s")
    with pytest.raises(errors.ClientError) as error:
        send(stand_in, [part, "Transcribe."])
    assert (error.value.code, error.value.status) == (400, "INVALID_ARGUMENT")
    assert f"only supports videos up to {most:g} seconds" in str(error.value.message)


def test_a_whole_video_longer_than_the_prompt_takes_is_refused(stand_in: standin.StandIn) -> None:
    """No offsets: the whole media's length, which the stand-in knows once it matched it."""
    stand_in.register(CLIP_TEXT, duration_s=3000, has_video=True, media=b"long" * 50, uri=LONG)
    with pytest.raises(errors.ClientError) as error:
        send(stand_in, [types.Part.from_uri(file_uri=LONG, mime_type="video/mp4"), "Go."])
    assert error.value.code == 400 and "a video of 3000 seconds" in str(error.value.message)


def test_the_files_api_refuses_a_file_over_its_size_limit(stand_in: standin.StandIn) -> None:
    limit = catalog().object_bytes["developer"]
    status, _, body = start_upload(stand_in.url, limit + 1)
    assert status == 400 and b"INVALID_ARGUMENT" in body


def test_models_list_answers_the_served_catalog_models(stand_in: standin.StandIn) -> None:
    sdk = client("developer", stand_in.url)
    listed = {m.name: m for m in sdk.models.list(config={"page_size": 3})}  # pages through all
    served = {f"models/{m}" for m in catalog().served()}
    assert set(listed) == served
    assert "models/gemini-2.5-flash" not in listed and "models/gemini-3-pro-preview" not in listed
    default = listed[f"models/{MODEL}"]
    assert default.display_name == "Gemini 3.8 Flash"
    assert default.input_token_limit == catalog().context_window
    assert default.output_token_limit == catalog().models[MODEL].max_output_tokens
    assert "generateContent" in (default.supported_actions or [])


def test_the_default_model_is_ga_and_served(stand_in: standin.StandIn) -> None:
    assert catalog().models[MODEL].stage == "ga"
    for mode in MODES:
        accepted(stand_in, mode, MODEL, clip())
