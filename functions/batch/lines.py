"""A batch line: one model request as the standard path would send it, in the three forms it
takes (decision 0032): the SDK's types as JSON (stored in Firestore, the Gemini API's inlined
requests), the REST `GenerateContentRequest` (a JSONL input line), and back from an output line
the SDK's `GenerateContentResponse`."""

from __future__ import annotations

import json
from typing import Any

from google import genai
from google.genai import _common, models, types

# The batch services' own names for the SDK's private converters: they turn the SDK's types into
# the REST body `generate_content` sends and a REST response back into the SDK's type, so a line
# is byte for byte the standard path's request (google-genai 3.4.0, `models.py`).
_TO_REST = {
    "developer": models._GenerateContentParameters_to_mldev,
    "vertex": models._GenerateContentParameters_to_vertex,
}
_FROM_REST = {
    "developer": models._GenerateContentResponse_from_mldev,
    "vertex": models._GenerateContentResponse_from_vertex,
}


def stored(parts: list[types.Part], config: types.GenerateContentConfig) -> dict[str, Any]:
    """The request's contents and config as JSON (what `batch_lines/{key}.request` holds)."""
    contents = types.Content(role="user", parts=parts)
    return {
        "contents": [contents.model_dump(mode="json", exclude_none=True)],
        "config": config.model_dump(mode="json", exclude_none=True),
    }


def inlined(model: str, key: str, request: dict[str, Any]) -> types.InlinedRequest:
    """The Gemini API's inlined request of a line, its key in the metadata."""
    return types.InlinedRequest(
        model=model,
        contents=[types.Content.model_validate(c) for c in request["contents"]],
        config=types.GenerateContentConfig.model_validate(request["config"]),
        metadata={"key": key},
    )


def jsonl_line(client: genai.Client, model: str, key: str, request: dict[str, Any]) -> str:
    """A JSONL input line, `{"key", "request"}`: the REST body of the line's request."""
    params = types._GenerateContentParameters(
        model=model,
        contents=[types.Content.model_validate(c) for c in request["contents"]],
        config=types.GenerateContentConfig.model_validate(request["config"]),
    )
    body = _TO_REST["vertex" if client.vertexai else "developer"](client._api_client, params)
    body.pop("_url", None)
    return json.dumps({"key": key, "request": _common.convert_to_dict(body)}, default=_enum_value)


def response(mode: str, body: dict[str, Any]) -> types.GenerateContentResponse:
    """An output line's REST response as the SDK's type."""
    converted = _FROM_REST[mode](body)
    return types.GenerateContentResponse._from_response(response=converted, kwargs={})


def _enum_value(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
