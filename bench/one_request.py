"""A whole media in one request, computed rather than sent: the request the product would make
for the media's plan, read, counted and answered at a realistic pace by the stand-in's own
functions, never re-implemented here (docs/standin.md, "Pacing").

`bench/long.py` compares its clips against this: the service refuses a video part with sound
longer than the model takes in one prompt (the catalog's `limits`: 2,700 s), so the 100-minute
sample cannot be sent as one request, and the product makes clips of it whatever
`TABSCRIBE_CLIP_THRESHOLD_S` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from functions.core.catalog import Mode, catalog
from functions.core.settings import Settings
from functions.transcribe import gemini
from functions.transcribe.media import probe
from functions.transcribe.plan import Overrides, Plan, make_plan
from functions.transcribe.prompt import build_prompt
from standin.faults import Fault
from standin.pacing import pace_of
from standin.protocol import estimate_usage, parse_request
from standin.registry import Entry, Registry
from standin.replay import plan_response
from standin.server import answer_for
from standin.state import Config

# Where the media part points: the stand-in checks the form of the URI only (the bytes it counts
# by are the registry entry's).
MEDIA_URIS: dict[Mode, str] = {
    "vertex": "gs://tabscribe-uploads/uploads/bench/whole-media",
    "developer": "https://generativelanguage.googleapis.com/v1beta/files/whole-media",
}


@dataclass(frozen=True)
class OneRequest:
    """The stand-in's figures for one request: its usage, and the seconds from the request to
    the first answer token and to the last chunk of the answer."""

    prompt_tokens: int
    output_tokens: int
    first_token_s: float
    model_s: float


def whole_media(path: Path, settings: Settings) -> OneRequest:
    """The bundled sample at `path` (its registry entry has its name) in one request, at the plan
    the product makes for the whole media with `settings` and no upload metadata."""
    with path.open("rb") as reader:
        media = probe(reader, None, path.stat().st_size)
    plan = make_plan(media, settings.model, Overrides(), settings.gemini_mode, settings.location)
    prompt = build_prompt(media.duration_s, media.has_video, {})
    entry = next(e for e in Registry().entries() if e.name == path.stem)
    return one_request(plan, prompt, entry, settings.gemini_mode)


def one_request(plan: Plan, prompt: str, entry: Entry, mode: Mode) -> OneRequest:
    """The request `plan` and `prompt` make (the product's parts and config), answered with the
    registry `entry`'s authored answer at the stand-in's realistic pace, no fault, scale 1."""
    model = catalog().get(plan.model)
    assert model is not None  # the plan was made from the catalog
    request = parse_request(request_body(plan, prompt, mode), mode, model, stream=True)
    usage = estimate_usage(request, entry.duration_s, entry.has_video)
    config, fault = Config(realistic_pace=True), Fault()
    pace = pace_of(config, fault, usage)
    answer = answer_for(entry, request, config.clip_timecodes, {})
    response = plan_response(request, answer, usage, fault, pace)
    return OneRequest(
        prompt_tokens=usage.prompt,
        output_tokens=int(response.usage["candidatesTokenCount"]),
        first_token_s=pace.first_token_s / pace.scale,
        model_s=sum(delay for delay, _ in response.events),  # what the stand-in sleeps
    )


def request_body(plan: Plan, prompt: str, mode: Mode) -> dict[str, Any]:
    """The product's request for `plan` as the REST body the SDK sends (camelCase JSON)."""
    parts = gemini.parts(MEDIA_URIS[mode], plan, prompt)
    config = gemini.generation_config(plan, mode)
    return {
        "contents": [{"role": "user", "parts": [_json(part) for part in parts]}],
        "generationConfig": _json(config),
    }


def _json(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)
