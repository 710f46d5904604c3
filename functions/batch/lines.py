"""A batch line: one model request as the standard path would send it, in the forms it takes
(decisions 0032, 0034): the SDK's types as JSON (stored in Firestore), a JSONL input line (the
REST `GenerateContentRequest`, named by the line's key), and back from an output line the SDK's
`GenerateContentResponse`.

An output line is matched to its line by the key it carries, never by its position: the Gemini
API's output line carries the input line's `key`; Vertex's echoes the request, whose `labels`
carry the key's digest (`label`).
"""

from __future__ import annotations

import hashlib
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


LABEL = "tabscribe-line"  # the Vertex request label naming the line


def jsonl_line(client: genai.Client, model: str, key: str, request: dict[str, Any]) -> str:
    """A JSONL input line, the REST body of the line's request: the Gemini API's `{"key",
    "request"}`; Vertex's `{"request"}` alone, the key's `label` in the request's `labels` (a
    Vertex request field: the SDK's converter copies `GenerateContentConfig.labels` into it)."""
    config = types.GenerateContentConfig.model_validate(request["config"])
    if client.vertexai:
        config = config.model_copy(update={"labels": {**(config.labels or {}), LABEL: label(key)}})
    params = types._GenerateContentParameters(
        model=model,
        contents=[types.Content.model_validate(c) for c in request["contents"]],
        config=config,
    )
    body = _TO_REST["vertex" if client.vertexai else "developer"](client._api_client, params)
    body.pop("_url", None)
    rest = _common.convert_to_dict(body)
    row = {"request": rest} if client.vertexai else {"key": key, "request": rest}
    return json.dumps(row, default=_enum_value)


def label(key: str) -> str:
    """The label value naming a line: a label value is at most 63 lowercase letters, digits, `_`
    and `-`, and a key runs to about 70 characters, so the first 32 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def labelled(row: dict[str, Any]) -> str | None:
    """The `label` a Vertex output line's echoed request carries, if any."""
    labels = (row.get("request") or {}).get("labels") or {}
    found = labels.get(LABEL) if isinstance(labels, dict) else None
    return found if isinstance(found, str) else None


def response(mode: str, body: dict[str, Any]) -> types.GenerateContentResponse:
    """An output line's REST response as the SDK's type."""
    converted = _FROM_REST[mode](body)
    return types.GenerateContentResponse._from_response(response=converted, kwargs={})


def _enum_value(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
