"""The one request `bench/long.py` compares its clips against is computed, not sent (the service
refuses the 100-minute sample in one prompt): it follows the stand-in's own model of tokens and
time, so a change to the stand-in's pacing shows up here and moves the benchmark's figure too."""

from __future__ import annotations

import math

import pytest

from bench.one_request import one_request, request_body
from functions.core.catalog import catalog
from functions.transcribe.media import MediaInfo
from functions.transcribe.plan import Overrides, make_plan
from functions.transcribe.prompt import build_prompt
from standin import pacing
from standin.protocol import chars_tokens, thoughts_tokens
from standin.registry import entry_from_dict

MINUTE = MediaInfo("WebM", "video/webm", 60.0, True, True, 0)
ANSWER = "x" * 4_000  # a registered text, replayed as it is: 1,000 output tokens


@pytest.mark.parametrize(
    ("changed", "base_s", "prefill_per_s", "output_per_s"),
    [
        (False, 2.0, 10_000.0, 150.0),  # the pace docs/standin.md and docs/performance.md quote
        (True, 5.0, 20_000.0, 300.0),  # a changed stand-in
    ],
)
def test_the_one_request_follows_the_standins_pacing(
    monkeypatch: pytest.MonkeyPatch,
    changed: bool,
    base_s: float,
    prefill_per_s: float,
    output_per_s: float,
) -> None:
    if changed:
        monkeypatch.setattr(pacing, "BASE_FIRST_TOKEN_S", base_s)
        monkeypatch.setattr(pacing, "PREFILL_TOKENS_PER_S", prefill_per_s)
        monkeypatch.setattr(pacing, "OUTPUT_TOKENS_PER_S", output_per_s)
    plan = make_plan(MINUTE, catalog().default, Overrides(), "vertex", "us-central1")
    prompt = build_prompt(60.0, True)
    entry = entry_from_dict(
        {"sha256": "0" * 64, "duration_s": 60.0, "has_video": True, "text": ANSWER}
    )

    found = one_request(plan, prompt, entry, "vertex")

    model = catalog().get(plan.model)
    assert model is not None
    frames = 60 * model.frame_tokens[plan.media_resolution]  # a frame a second
    audio = round(60 * model.audio_tokens_per_s)
    prompt_tokens = frames + audio + math.ceil(len(prompt) / 4)
    thoughts = thoughts_tokens(request_body(plan, prompt, "vertex")["generationConfig"])
    assert thoughts > 0  # the plan's thinking level
    first_token_s = base_s + prompt_tokens / prefill_per_s + thoughts / output_per_s
    assert found.prompt_tokens == prompt_tokens
    assert found.output_tokens == chars_tokens(len(ANSWER)) == 1_000
    assert found.first_token_s == pytest.approx(first_token_s)
    assert found.model_s == pytest.approx(first_token_s + 1_000 / output_per_s)
