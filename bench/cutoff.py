"""Cut-off answers: what the repetition guard saves against a looping model, and what a
`MAX_TOKENS` cut adds through its continuation.

The whole local stack (as `bench/long.py`) transcribes the bundled 10-minute keynote
(`samples/keynote.mp4`, one request, 218 authored rows) at the stand-in's realistic pace (150
output tokens a second). A cut-off run now goes on in a continuation (decision 0013): the
transcriber publishes its rows and hands the run over; the clip transcriber asks for the rest of
the range and splices the answer on. Every run below includes its continuation.

One run, side by side: a warm-up (a cut upload with a model answering at once, so both the
transcriber and the clip transcriber's continuation have had their first call), then

1. **The continuation** (`pace_scale` 1: real time, so the pipeline's own hops between the cut
   and the continuation's request are real): the keynote whole, and with the answer cut after
   row 109 (`max_tokens_at_row`, half the authored rows, `finishReason: MAX_TOKENS`), interleaved,
   twice each (`REPEATS`). The cut run must end `completed`, `complete`, with as many segments as
   the whole run and `timings.continuations` 1; otherwise the benchmark fails.
2. **The guard** (`pace_scale` 20, so the loop takes 22 s instead of 7 minutes; seconds are the
   measured difference x 20): the answer looping from row 50 (`loop_from_row`: row 50's line
   repeated to the output limit, 65,536 tokens, then `MAX_TOKENS`), with the transcriber as
   deployed (the guard: `TABSCRIBE_LOOP_REPEATS` 12, which cuts the run with `REPETITION_LOOP`),
   then restarted with `TABSCRIBE_LOOP_REPEATS=0` (no guard) so the loop runs to the limit. Both
   runs go on from row 50 in a continuation (with the loop fault spent, it answers whole), so
   both end `STOP`; the guarded one carries a `repetition_loop` issue.

- `cutoff.continuation_s`: median (cut upload → completed) - median (whole upload → completed),
  real-time s: the second request's reading of the rest of the media, its first token, the rows
  it repeats before the cut point, and the hand-over's hops.
- `cutoff.loop_tokens_saved`: output tokens the stand-in streamed to the looping call of the
  unguarded upload minus those it streamed to the guarded one's before the transcriber hung up
  (its call log: the call that carried the loop, not the continuation after it).
- `cutoff.loop_seconds_saved`: (unguarded upload → completed - guarded) x 20: real-time seconds
  at the model's pace (the pipeline's own seconds, continuation included, are in both and cancel
  out).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import urllib.request
from typing import Any

from bench.control import standin
from bench.long import FUNCTION_ENV, Followed, follow
from bench.report import Metric, main
from stack.local import ROOT, LocalStack

SAMPLE = ROOT / "samples" / "keynote.mp4"
AUTHORED_ROWS = 218  # standin/responses/keynote.json
PACE_SCALE = 20.0  # the loop runs
LOOP = {"loop_from_row": 50, "times": 1}
CUT = {"max_tokens_at_row": AUTHORED_ROWS // 2, "times": 1}
REPEATS = 2  # continuation: whole and cut, interleaved (about 100 s a pair)
NO_GUARD = {"TABSCRIBE_LOOP_REPEATS": "0"}


def _calls(stand_in_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{stand_in_url}/_standin/calls", timeout=10) as response:
        calls: list[dict[str, Any]] = json.loads(response.read())["calls"]
    return calls


def _loop_call(stand_in_url: str, since: int) -> dict[str, Any]:
    """The model call that carried the loop among the calls after the first `since` (the
    continuation's call comes after it), once the stand-in has seen how the client ended it."""
    deadline = time.monotonic() + 10
    while True:
        calls = _calls(stand_in_url)[since:]
        looped = [c for c in calls if (c.get("cutoff") or {}).get("loop_row") is not None]
        if not looped:
            raise RuntimeError(f"no looping call among the {len(calls)} calls of the upload")
        call = looped[0]
        if call.get("status") is not None or call.get("error") or time.monotonic() > deadline:
            return call
        time.sleep(0.2)


def _looping(stand_in_url: str, owner: str) -> tuple[Followed, dict[str, Any]]:
    since = len(_calls(stand_in_url))
    standin(stand_in_url, "config", {"realistic_pace": True, "pace_scale": PACE_SCALE})
    standin(stand_in_url, "faults", {"faults": [LOOP]})
    followed = follow(SAMPLE, owner)
    return followed, _loop_call(stand_in_url, since)


def _transcribed(stand_in_url: str, owner: str, cut: bool) -> Followed:
    """The keynote at the model's pace in real time, whole or cut after half its rows."""
    standin(stand_in_url, "config", {"realistic_pace": True, "pace_scale": 1.0})
    standin(stand_in_url, "faults", {"faults": [CUT] if cut else []})
    return follow(SAMPLE, owner)


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-cutoff", function_env=FUNCTION_ENV)
    stack.start()
    try:
        url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
        standin(url, "config", {"realistic_pace": False, "pace_scale": 1.0})
        standin(url, "faults", {"faults": [CUT]})
        follow(SAMPLE, "bench-warm")  # every function's first call, a continuation's included
        wholes, cuts = [], []
        for i in range(REPEATS):
            wholes.append(_transcribed(url, f"bench-whole-{i}", cut=False))
            cuts.append(_transcribed(url, f"bench-cut-{i}", cut=True))
        guarded, guarded_call = _looping(url, "bench-guard")
        stack.restart("transcribe_upload", NO_GUARD)
        unguarded, unguarded_call = _looping(url, "bench-no-guard")
    finally:
        stack.stop()
    return continuation_metrics(wholes, cuts) + loop_metrics(
        guarded, guarded_call, unguarded, unguarded_call
    )


def _seconds(followed: Followed) -> float:
    assert followed.completed is not None
    return followed.completed - followed.started


def _segments(followed: Followed) -> int:
    return int((followed.doc.get("progress") or {}).get("segments") or 0)


def _continuations(followed: Followed) -> float:
    return float((followed.doc.get("timings") or {}).get("continuations") or 0)


def _check_continued(followed: Followed, segments: int, what: str) -> None:
    """A run cut once must end as a whole one: completed, complete, every segment, one
    continuation (a benchmark of a broken run fails)."""
    doc = followed.doc
    found = (doc.get("status"), doc.get("complete"), _segments(followed), _continuations(followed))
    if found != ("completed", True, segments, 1.0):
        raise RuntimeError(
            f"{what}: status {found[0]}, complete {found[1]}, {found[2]} segments (whole: "
            f"{segments}), continuations {found[3]} (1 expected); finish_reason "
            f"{doc.get('finish_reason')}, issues {doc.get('issues')}"
        )


def continuation_metrics(wholes: list[Followed], cuts: list[Followed]) -> list[Metric]:
    for whole in wholes:
        if not whole.doc.get("complete") or _continuations(whole):
            raise RuntimeError(f"the whole run is not whole: {whole.doc.get('issues')}")
    segments = _segments(wholes[0])
    if segments != AUTHORED_ROWS or any(_segments(w) != segments for w in wholes):
        raise RuntimeError(f"whole runs: {[_segments(w) for w in wholes]} segments")
    for i, cut in enumerate(cuts):
        _check_continued(cut, segments, f"cut run {i}")
    whole_s = statistics.median(_seconds(w) for w in wholes)
    cut_s = statistics.median(_seconds(c) for c in cuts)
    for name, timed in (("whole", wholes), ("cut", cuts)):
        each = ", ".join(f"{_seconds(r):.1f}" for r in timed)
        print(f"cutoff: {name} runs: {each} s", file=sys.stderr)
    runs = f"median of {len(cuts)}, real time"
    return [
        Metric(
            "cutoff.continuation_s",
            round(cut_s - whole_s, 1),
            "s",
            f"upload → completed, cut at row {CUT['max_tokens_at_row']} - whole ({runs})",
        ),
        Metric("cutoff.whole_s", round(whole_s, 1), "s", f"whole: upload → completed ({runs})"),
        Metric(
            "cutoff.cut_s",
            round(cut_s, 1),
            "s",
            f"cut + 1 continuation: upload → completed ({runs})",
        ),
    ]


def loop_metrics(
    guarded: Followed,
    guarded_call: dict[str, Any],
    unguarded: Followed,
    unguarded_call: dict[str, Any],
) -> list[Metric]:
    codes = [issue.get("code") for issue in guarded.doc.get("issues") or []]
    if "repetition_loop" not in codes or not guarded.doc.get("complete"):
        raise RuntimeError(
            f"the guard did not stop the loop, or the run did not go on: issues {codes}, "
            f"complete {guarded.doc.get('complete')}, {guarded.doc.get('finish_reason')}"
        )
    if not unguarded.doc.get("complete"):
        raise RuntimeError(f"the unguarded run did not go on: {unguarded.doc.get('issues')}")
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
            f"upload → completed (continuation included), no guard - guard, wall x {PACE_SCALE:g}",
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
            f"guard: upload → completed (continuation included), wall x {PACE_SCALE:g}",
        ),
    ]


if __name__ == "__main__":
    main(run)
