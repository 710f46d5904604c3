"""Long media: the bundled 100-minute sample as clips, against the same in one request computed.

The whole local stack (as `bench/pipeline.py`) transcribes `samples/conference.webm` (6,000 s,
252 authored rows) with the stand-in at its realistic pace (docs/standin.md, "Pacing": first
token after 2 s + prompt tokens / 10,000 per s + thought tokens / 150 per s, then 150 output
tokens per s), in real time (`PACE_SCALE` 1: a larger scale would shorten the model's delays
but not the pipeline's own work, so the figures, multiplied back, would overstate it).
`long.clips_zero_pace_s` measures the pipeline's own share (the same clips with a model
answering at once).

One run (the machine is noisy): two warm-up uploads with a model answering at once, then, paced,
the sample as clips (the default plan: `TABSCRIBE_CLIP_THRESHOLD_S` 900, `TABSCRIBE_CLIP_S` 600,
`TABSCRIBE_CLIP_OVERLAP_S` 20, `TABSCRIBE_CLIP_FIRST_S` 120: a 2-minute first clip and 11 of
about 555 s; then the voices pass). The sample in one request is not sent: the service refuses a
video part with sound past about 45 minutes per prompt (the catalog's `limits`), and the product
makes clips of it whatever the threshold says. Its figures are computed instead
(`bench/one_request.py`): the request the product would make for the whole media (low
resolution: high does not fit the context window), counted and paced by the stand-in's own
functions. They are the model's seconds only; the clips' are upload → `completed`.

Push delivery as deployed (`bench/push.py`): the Pub/Sub emulator pushes two messages at a time
per subscription, which would run the 11 clips in six waves; here clip tasks are delivered up to
20 at once and results chunks up to 10, and each function serves up to 24 requests at once
(functions-framework's `THREADS`; its default, 4 per core, is 8 on this machine).

- `long.single_model_s` (computed): the stand-in's seconds for the one request, request to the
  answer's last chunk; `long.clips_s`: upload → `completed` (real-time s); `long.clips_ratio`.
- `long.ttfs_s`: upload → the first segment on the document, clips (real-time s).
- `long.overlap_input_share`: (clips' prompt tokens - the one request's) ÷ the one request's,
  the clips' from the `usage` on the documents (summed over the clips by the store), the voices
  pass's tokens (its clip document's `store.usage`) taken out, the one request's computed;
  `long.voices_input_share`: the voices pass's prompt tokens ÷ the one request's;
  `long.voices_calls`: its model calls, counted in the stand-in's call log
  (`GET /_standin/calls`, the calls it marks `voices`).
- `long.doc_writes_per_s`: the most writes to the transcription document within one whole second
  of commit time, counted by a Firestore listener (which sees every write on the emulator), from
  the store's first merge to `completed`. Wall time: what Firestore sees, not scaled.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.control import calls, standin
from bench.one_request import OneRequest, whole_media
from bench.push import Push
from bench.report import Metric, main
from functions.core import clients
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, clip_path, transcription_id
from functions.core.settings import Settings
from stack.follow import put
from stack.local import BUCKET, PROJECT, ROOT, LocalStack

SAMPLE = ROOT / "samples" / "conference.webm"
AUTHORED_ROWS = 252  # standin/responses/conference.json: every run must give all of them
PACE_SCALE = 1.0
TIMEOUT_S = 300.0
# Push delivery as deployed (bench/push.py): clips 20 at once (gemini_max_concurrent_clips), the
# store 10 (store_max_instances); gunicorn threads enough for them (functions-framework's default
# is 4 per core, 8 here).
PUSHES = [("clips-push", "transcribe_clip", 20), ("store-push", "store_transcription", 10)]
FUNCTION_ENV = {"THREADS": "24"}


@dataclass
class Followed:
    """One upload seen through a Firestore listener on its transcription document."""

    started: float
    first_segment: float | None = None
    voices_asked: float | None = None  # every clip merged, the voices pass asked
    completed: float | None = None
    doc: dict[str, Any] = field(default_factory=dict)
    # (commit time, written by a merge of the store) of every version the listener saw
    versions: list[tuple[dt.datetime, bool]] = field(default_factory=list)

    def streaming_writes(self) -> list[dt.datetime]:
        """Commit times of the store's merges, the first to the terminal one: the writes while
        the clips stream (the transcriber's own, before the clips start, are not counted)."""
        return sorted({at for at, merged in self.versions if merged})

    def max_writes_per_s(self) -> int:
        """The most writes within one whole second of commit time while segments stream."""
        per_second = Counter(math.floor(at.timestamp()) for at in self.streaming_writes())
        return max(per_second.values(), default=0)

    def max_writes_sliding_s(self) -> int:
        """The most writes within any 1-second span (a stricter reading of the same figure)."""
        times = [at.timestamp() for at in self.streaming_writes()]
        return max(
            (sum(1 for t in times[i:] if t - s < 1.0) for i, s in enumerate(times)), default=0
        )


def _pace(stand_in_url: str, realistic: bool) -> None:
    """The stand-in at a model's pace (scaled), or answering at once (warm-ups)."""
    scale = PACE_SCALE if realistic else 1.0
    standin(stand_in_url, "config", {"realistic_pace": realistic, "pace_scale": scale})


def follow(path: Path, owner: str, metadata: dict[str, str] | None = None) -> Followed:
    """Upload `path` for `owner` and follow its document to `completed` through a listener."""
    name = f"uploads/{owner}/{path.name}"
    ref = (
        clients.firestore_client()
        .collection(TRANSCRIPTIONS)
        .document(transcription_id(BUCKET, name))
    )
    done = threading.Event()
    followed = Followed(started=0.0)

    def on_change(snapshots: list[Any], *_: Any) -> None:
        now = time.monotonic()
        for snapshot in snapshots:
            if not snapshot.exists or not followed.started or followed.completed is not None:
                continue  # before the upload, or after the terminal write (the event's mark)
            doc = snapshot.to_dict() or {}
            segments = (doc.get("progress") or {}).get("segments") or 0
            merged = bool((doc.get("clips") or {}).get("merged"))
            followed.versions.append((snapshot.update_time, merged))
            if segments and followed.first_segment is None:
                followed.first_segment = now
            asked = ((doc.get("clips") or {}).get("voices") or {}).get("asked")
            if asked and followed.voices_asked is None:
                followed.voices_asked = now
            if doc.get("status") in TERMINAL:
                followed.completed, followed.doc = now, doc
                done.set()

    watch = ref.on_snapshot(on_change)
    try:
        followed.started = time.monotonic()
        put(path, owner, metadata or {})
        if not done.wait(TIMEOUT_S):
            raise TimeoutError(f"{name} not terminal in {TIMEOUT_S:.0f} s")
    finally:
        watch.unsubscribe()  # type: ignore[no-untyped-call]
    doc = followed.doc
    if doc.get("status") != "completed":
        raise RuntimeError(f"{name}: {doc.get('status')}: {doc.get('reason')}")
    rows = (doc.get("progress") or {}).get("segments")
    if path == SAMPLE and (rows != AUTHORED_ROWS or not doc.get("complete")):
        raise RuntimeError(f"{name}: {rows} segments, complete={doc.get('complete')}: not timed")
    return followed


def _seconds(followed: Followed, at: float | None) -> float:
    assert at is not None
    return at - followed.started


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-long", function_env=FUNCTION_ENV)
    stack.start()
    pushes: list[Push] = []
    try:
        for subscription, target, concurrency in PUSHES:
            pushes.append(Push(PROJECT, subscription, stack.url(target), concurrency))
            pushes[-1].start()
        url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
        _pace(url, realistic=False)
        follow(SAMPLE, "bench-warm-1")  # every function's first call (imports, clients)
        zero = follow(SAMPLE, "bench-zero")
        _pace(url, realistic=True)
        before = len(calls(url))
        clips = follow(SAMPLE, "bench-clips")
        voices = Voices(_voices_prompt(clips), _voices_calls(calls(url)[before:]))
        single = whole_media(SAMPLE, Settings())  # the functions' settings: the stack's
    finally:
        try:
            for push in pushes:
                push.stop()
        finally:
            stack.stop()
    return metrics(single, clips, zero, voices)


@dataclass(frozen=True)
class Voices:
    """The clips arm's voices pass: its prompt tokens and its model calls."""

    prompt_tokens: int
    calls: int


def _voices_calls(logged: list[dict[str, Any]]) -> int:
    """The voices pass's model calls in the stand-in's call log (it marks them `voices`)."""
    return sum(1 for call in logged if "voices" in call)


def _prompt(followed: Followed, modality: str | None = None) -> int:
    usage = followed.doc["usage"]
    if modality is None:
        return int(usage["prompt_tokens"])
    return int((usage.get("prompt_by_modality") or {}).get(modality) or 0)


def _share(more: int, base: int) -> float:
    return round((more - base) / base, 4)


def _voices_prompt(followed: Followed) -> int:
    """The voices pass's prompt tokens (0 if it was not asked): its clip document's usage."""
    doc = followed.doc
    run, count = doc["run"], (doc.get("clips") or {}).get("count") or 0
    tid = transcription_id(BUCKET, doc["source"]["name"])
    path = clip_path(tid, run["generation"], run["attempt"], count)
    recorded = (clients.firestore_client().document(path).get().to_dict() or {}).get("store")
    return int(((recorded or {}).get("usage") or {}).get("prompt_tokens") or 0)


def metrics(single: OneRequest, clips: Followed, zero: Followed, voices: Voices) -> list[Metric]:
    clips_s = _seconds(clips, clips.completed) * PACE_SCALE
    count = (clips.doc.get("clips") or {}).get("count") or 0
    if not count:  # a setting of another stack reached this one (the clips arm is the point)
        raise RuntimeError("the clips arm ran as one request: no clip plan on the document")
    scale = f"wall x {PACE_SCALE:g}"
    computed = "computed, the stand-in's pace; the service refuses it (> 45 min of video a prompt)"
    return [
        Metric(
            "long.single_model_s",
            round(single.model_s, 1),
            "s",
            f"one request: request → last chunk, {computed}",
        ),
        Metric(
            "long.clips_s", round(clips_s, 1), "s", f"{count} clips: upload → completed, {scale}"
        ),
        Metric(
            "long.clips_ratio",
            round(clips_s / single.model_s, 3),
            "x",
            "clips ÷ one request (computed)",
            "<= 0.25",
        ),
        Metric(
            "long.ttfs_s",
            round(_seconds(clips, clips.first_segment) * PACE_SCALE, 1),
            "s",
            f"clips: upload → first segment on the document, {scale}",
            "<= 10",
        ),
        Metric(
            "long.overlap_input_share",
            _share(_prompt(clips) - voices.prompt_tokens, single.prompt_tokens),
            "x",
            "extra prompt tokens of the clips ÷ the one request's (computed)",
            "<= 0.12",
        ),
        Metric(
            "long.voices_input_share",
            round(voices.prompt_tokens / single.prompt_tokens, 4),
            "x",
            "the voices pass's prompt tokens ÷ the one request's (computed)",
        ),
        Metric(
            "long.voices_calls",
            voices.calls,
            "calls",
            "the voices pass's model calls (the stand-in's call log)",
        ),
        Metric(
            "long.doc_writes_per_s",
            clips.max_writes_per_s(),
            "writes",
            "most writes to the document in one whole second while clips stream (wall)",
            "<= 1",
        ),
        Metric("long.doc_writes_sliding", clips.max_writes_sliding_s(), "writes", "… in any 1 s"),
        Metric(
            "long.doc_writes",
            len(clips.streaming_writes()),
            "writes",
            "writes to the document, the store's first merge to completed",
        ),
        Metric("long.clips", count, "clips", "clips of the default plan"),
        Metric(
            "long.single_model_input_tokens",
            single.prompt_tokens,
            "tokens",
            "one request: prompt (computed)",
        ),
        Metric("long.clips_input_tokens", _prompt(clips), "tokens", "clips: prompt, summed"),
        Metric(
            "long.single_model_output_tokens",
            single.output_tokens,
            "tokens",
            "one request: output (computed)",
        ),
        Metric(
            "long.clips_output_tokens",
            clips.doc["usage"]["output_tokens"],
            "tokens",
            "clips: output, summed",
        ),
        Metric(
            "long.clips_merged_s",
            round(_seconds(clips, clips.voices_asked or clips.completed) * PACE_SCALE, 1),
            "s",
            "clips: upload → every clip merged (the voices pass asked)",
        ),
        Metric(
            "long.voices_pass_s",
            round((clips.completed or 0) - (clips.voices_asked or clips.completed or 0), 1),
            "s",
            "clips: the voices pass asked → completed",
        ),
        Metric(
            "long.single_model_first_token_s",
            round(single.first_token_s, 1),
            "s",
            "one request: request → first token (computed)",
        ),
        Metric(
            "long.clips_zero_pace_s",
            round(_seconds(zero, zero.completed), 2),
            "s",
            "clips with a model answering at once: the pipeline's own time (wall, not scaled)",
        ),
    ]


if __name__ == "__main__":
    main(run)
