"""Kill the store mid-run: how many transcriptions are left `processing` (goal 0)?

On the local stack, with the stand-in streaming the ten-minute keynote at 150 tokens/s, `UPLOADS`
uploads start; once every one has stored some segments the store function is killed, stays down
for `DOWN_S` (past the results subscription's five deliveries, so chunks are dead-lettered), and
is started again on the same port. Then, for `SETTLE_S`: how many ended `completed`, `failed`, or
are still `processing`.

- `watchdog.left_processing`: with the watchdog (dead-letter consumer and sweep) running;
- `watchdog.left_processing_without`: the same with the watchdog's subscriptions deleted: the
  figure before the watchdog existed.

`python -m bench.watchdog` runs both (about 4 minutes).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.report import Metric, main
from functions.core import clients
from functions.core.documents import TERMINAL, TRANSCRIPTIONS, transcription_id
from stack.local import BUCKET, PROJECT, ROOT, LocalStack
from stack.watch import PUSH

SAMPLE = ROOT / "samples" / "keynote.mp4"
UPLOADS = 6
DOWN_S = 45.0  # five deliveries 1-10 s apart take about 20 s
SETTLE_S = 120.0  # stall_s (60 s) + a sweep tick (10 s) + a re-drive, with room
TOKEN_RATE = 150.0


def _docs(names: list[str]) -> list[dict[str, Any]]:
    collection = clients.firestore_client().collection(TRANSCRIPTIONS)
    refs = [collection.document(transcription_id(BUCKET, name)) for name in names]
    return [ref.get().to_dict() or {} for ref in refs]


def _wait(names: list[str], done: Any, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        docs = _docs(names)
        if all(done(d) for d in docs) or time.monotonic() > deadline:
            return docs
        time.sleep(0.5)


def _scenario(watchdog: bool) -> Counter[str]:
    workdir = ROOT / ".local" / f"bench-watchdog-{'on' if watchdog else 'off'}"
    stack = LocalStack(workdir=workdir, token_rate=TOKEN_RATE)
    stack.start()
    try:
        if not watchdog:
            from google.cloud import pubsub_v1

            subscriber = pubsub_v1.SubscriberClient()
            for name in PUSH:
                subscriber.delete_subscription(
                    subscription=subscriber.subscription_path(PROJECT, name)
                )
        bucket = clients.storage_client().bucket(BUCKET)
        names = [f"uploads/bench/killed-{i}.mp4" for i in range(UPLOADS)]
        for name in names:
            bucket.blob(name).upload_from_filename(str(SAMPLE), content_type="video/mp4")
        _wait(names, lambda d: (d.get("progress") or {}).get("segments"), 60)
        store = next(s for s in stack.services if s.name == "store_transcription")
        store.stop()  # mid-run: the transcriber keeps streaming into the results topic
        time.sleep(DOWN_S)
        stack.restart("store_transcription")
        docs = _wait(names, lambda d: d.get("status") in TERMINAL, SETTLE_S)
        return Counter(str(d.get("status")) for d in docs)
    finally:
        stack.stop()


def run() -> list[Metric]:
    with_watchdog, without = _scenario(True), _scenario(False)
    print(f"with the watchdog: {dict(with_watchdog)}; without: {dict(without)}", flush=True)
    return [
        Metric(
            "watchdog.left_processing",
            with_watchdog["processing"],
            "docs",
            f"of {UPLOADS} uploads, store killed mid-run for {DOWN_S:g} s, then restarted",
            "<= 0",
        ),
        Metric("watchdog.failed", with_watchdog["failed"], "docs", "… ended failed, with reason"),
        Metric("watchdog.completed", with_watchdog["completed"], "docs", "… ended completed"),
        Metric(
            "watchdog.left_processing_without",
            without["processing"],
            "docs",
            "the same without the watchdog's subscriptions",
        ),
    ]


if __name__ == "__main__":
    main(run)
