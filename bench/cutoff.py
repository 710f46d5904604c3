"""The repetition guard against a looping model: the output tokens and the seconds it saves.

The whole local stack (as `bench/long.py`) transcribes the bundled 10-minute keynote
(`samples/keynote.mp4`, one request) with the stand-in's answer looping from row 50
(`loop_from_row`: row 50's line repeated to the output limit, 65,536 tokens, then `MAX_TOKENS`),
at the stand-in's realistic pace (150 output tokens a second) with `pace_scale` 20 so the loop
takes 22 s instead of 7 minutes; the seconds below are the measured difference x 20. Side by
side: the transcriber as deployed (the guard: `TABSCRIBE_LOOP_REPEATS` 12), then restarted with
`TABSCRIBE_LOOP_REPEATS=0` (no guard) so the loop runs to the limit.

- `cutoff.loop_tokens_saved`: output tokens the stand-in streamed to the unguarded call minus
  those it streamed to the guarded one before the transcriber hung up (its call log).
- `cutoff.loop_seconds_saved`: (unguarded upload → completed - guarded) x 20: real-time seconds
  at the model's pace (the pipeline's own second or so is in both and cancels out).
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from bench.long import FUNCTION_ENV, Followed, environ, follow, standin
from bench.report import Metric, main
from stack.local import ROOT, LocalStack

SAMPLE = ROOT / "samples" / "keynote.mp4"
PACE_SCALE = 20.0
LOOP = {"loop_from_row": 50, "times": 1}
NO_GUARD = {"TABSCRIBE_LOOP_REPEATS": "0"}


def _last_call(stand_in_url: str) -> dict[str, Any]:
    """The stand-in's last model call, once it has seen how the client ended it."""
    deadline = time.monotonic() + 10
    while True:
        with urllib.request.urlopen(f"{stand_in_url}/_standin/calls", timeout=10) as response:
            call: dict[str, Any] = json.loads(response.read())["calls"][-1]
        if call.get("status") is not None or call.get("error") or time.monotonic() > deadline:
            return call
        time.sleep(0.2)


def _looping(stack: LocalStack, owner: str) -> tuple[Followed, dict[str, Any]]:
    url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
    standin(url, "config", {"realistic_pace": True, "pace_scale": PACE_SCALE})
    standin(url, "faults", {"faults": [LOOP]})
    followed = follow(SAMPLE, owner)
    return followed, _last_call(url)


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-cutoff")
    with environ(FUNCTION_ENV):
        stack.start()
    try:
        url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
        standin(url, "config", {"realistic_pace": False, "pace_scale": 1.0})
        follow(SAMPLE, "bench-warm")  # every function's first call
        guarded, guarded_call = _looping(stack, "bench-guard")
        with environ(NO_GUARD):
            stack.restart("transcribe_upload")
        unguarded, unguarded_call = _looping(stack, "bench-no-guard")
    finally:
        stack.stop()
    return metrics(guarded, guarded_call, unguarded, unguarded_call)


def _seconds(followed: Followed) -> float:
    assert followed.completed is not None
    return followed.completed - followed.started


def metrics(
    guarded: Followed,
    guarded_call: dict[str, Any],
    unguarded: Followed,
    unguarded_call: dict[str, Any],
) -> list[Metric]:
    if guarded.doc.get("finish_reason") != "REPETITION_LOOP":
        raise RuntimeError(f"the guard did not stop the loop: {guarded.doc.get('finish_reason')}")
    saved_s = (_seconds(unguarded) - _seconds(guarded)) * PACE_SCALE
    return [
        Metric(
            "cutoff.loop_tokens_saved",
            unguarded_call["tokens_sent"] - guarded_call["tokens_sent"],
            "tokens",
            "output tokens of a loop from row 50 not streamed: no guard - guard",
        ),
        Metric(
            "cutoff.loop_seconds_saved",
            round(saved_s, 1),
            "s",
            f"upload → completed, no guard - guard, wall x {PACE_SCALE:g}",
        ),
        Metric(
            "cutoff.loop_tokens_guarded", guarded_call["tokens_sent"], "tokens", "guard: streamed"
        ),
        Metric(
            "cutoff.loop_tokens_unguarded",
            unguarded_call["tokens_sent"],
            "tokens",
            "no guard: streamed",
        ),
        Metric(
            "cutoff.loop_guarded_s",
            round(_seconds(guarded) * PACE_SCALE, 1),
            "s",
            f"guard: upload → completed, wall x {PACE_SCALE:g}",
        ),
    ]


if __name__ == "__main__":
    main(run)
