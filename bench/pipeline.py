"""Pipeline overhead on the local stack with a zero-latency model, and time to first segment.

- `pipeline.p50_s` / `p95_s`: upload → `completed` document, 20 sequential uploads of the
  two-speaker sample (`samples/interview.mp4`, a new object name each time).
- `pipeline.concurrent20_s`: 20 uploads at once → all completed.
- `stream.ttfs_ratio`: time to the first segment visible in Firestore ÷ time to completed, for a
  600-segment transcript streamed by the stand-in at 150 tokens/s in one request (its 75 minutes
  would be long media, clips: `bench/long.py` measures those).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.control import standin
from bench.corpus import talk
from bench.report import Metric, main
from functions.core import clients
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, transcription_id
from stack.local import BUCKET, ROOT, LocalStack

SAMPLE = ROOT / "samples" / "interview.mp4"
SEQUENTIAL = 20
CONCURRENT = 20
POLL_S = 0.02
TIMEOUT_S = 300.0


def _upload(name: str, path: Path, content_type: str) -> float:
    blob = clients.storage_client().bucket(BUCKET).blob(name)
    started = time.monotonic()
    blob.upload_from_filename(str(path), content_type=content_type)
    return started


def _wait(name: str, first_segment: bool = False) -> tuple[float | None, float]:
    """(time of the first segment if asked, time of the terminal status), monotonic clock."""
    ref = (
        clients.firestore_client()
        .collection(TRANSCRIPTIONS)
        .document(transcription_id(BUCKET, name))
    )
    first = None
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        doc = ref.get().to_dict() or {}
        now = time.monotonic()
        if first_segment and first is None and (doc.get("progress") or {}).get("segments"):
            first = now
        if doc.get("status") in TERMINAL:
            if doc["status"] != "completed":
                raise RuntimeError(f"{name}: {doc['status']}: {doc.get('reason')}")
            return first, now
        time.sleep(POLL_S)
    raise TimeoutError(f"{name} not completed in {TIMEOUT_S:.0f} s")


def _one(index: int, prefix: str) -> float:
    name = f"uploads/bench/{prefix}-{index:03d}.mp4"
    started = _upload(name, SAMPLE, "video/mp4")
    return _wait(name)[1] - started


def silence(path: Path, seconds: int) -> None:
    """A WAV of `seconds` of silence: media the stand-in is taught an answer for."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * seconds)


def register_response(
    stand_in_url: str, media: Path, text: str, duration_s: float, name: str
) -> None:
    """Teach a running stand-in the answer for `media` (its `/_standin/responses` endpoint)."""
    import base64

    body = {
        "media_base64": base64.b64encode(media.read_bytes()).decode(),
        "text": text,
        "duration_s": duration_s,
        "has_video": False,
        "name": name,
    }
    standin(stand_in_url, "responses", body, timeout_s=30)


ONE_REQUEST = {"TABSCRIBE_CLIP_THRESHOLD_S": "86400"}  # no clips: one streamed request


def _ttfs(stack: LocalStack) -> tuple[float, float]:
    transcript = talk()
    text = transcript.compact()
    duration_s = max(s for s, _, _ in transcript.segments) / 1000 + 10
    with tempfile.TemporaryDirectory() as tmp:
        media = Path(tmp) / "talk.wav"
        silence(media, int(duration_s))
        url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
        register_response(url, media, text, duration_s, "bench-600")
        name = "uploads/bench/talk-600.wav"
        started = _upload(name, media, "audio/wav")
        first, done = _wait(name, first_segment=True)
    assert first is not None
    return first - started, done - started


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench", token_rate=0.0)
    stack.start()
    try:
        _one(0, "warmup")
        sequential = [_one(i, "seq") for i in range(SEQUENTIAL)]
        started = time.monotonic()
        with ThreadPoolExecutor(CONCURRENT) as pool:
            list(pool.map(lambda i: _one(i, "par"), range(CONCURRENT)))
        concurrent = time.monotonic() - started
    finally:
        stack.stop()
    streaming = LocalStack(
        workdir=ROOT / ".local" / "bench-stream", token_rate=150.0, function_env=ONE_REQUEST
    )
    streaming.start()
    try:
        first, done = _ttfs(streaming)
    finally:
        streaming.stop()
    quantiles = statistics.quantiles(sequential, n=20)
    return [
        Metric(
            "pipeline.p50_s",
            round(statistics.median(sequential), 3),
            "s",
            f"upload → completed, {SEQUENTIAL} sequential",
            "<= 1.0",
        ),
        Metric("pipeline.p95_s", round(quantiles[18], 3), "s", "95th percentile", "<= 2.0"),
        Metric(
            "pipeline.concurrent20_s",
            round(concurrent, 3),
            "s",
            f"{CONCURRENT} uploads at once → all completed",
            "<= 10",
        ),
        Metric(
            "stream.ttfs_s", round(first, 3), "s", "600 segments at 150 tokens/s: first segment"
        ),
        Metric("stream.completed_s", round(done, 3), "s", "… and completed"),
        Metric(
            "stream.ttfs_ratio", round(first / done, 4), "x", "first segment ÷ completed", "<= 0.05"
        ),
    ]


if __name__ == "__main__":
    main(run)
