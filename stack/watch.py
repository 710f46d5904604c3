"""The watchdog on the local stack, wired as Terraform deploys it (docs/decisions/0009-watchdog.md).

- a push subscription from the dead-letter topic to `watch_dead_letter`;
- a push subscription from the re-drive topic to `transcribe_redrive` (the transcriber's second
  entry point);
- a push subscription from the sweep topic to `watch_sweep`, and the stand-in for Cloud Scheduler:
  a thread that publishes a tick on the sweep topic every `sweep_every_s`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

WATCH_TOPICS = {"redrive": "tabscribe-redrive", "sweep": "tabscribe-sweep"}
WATCH_FUNCTIONS = ("transcribe_redrive", "watch_dead_letter", "watch_sweep")
PUSH = {  # subscription → (topic key, target function)
    "watch-dead-letter-push": ("dead", "watch_dead_letter"),
    "transcribe-redrive-push": ("redrive", "transcribe_redrive"),
    "watch-sweep-push": ("sweep", "watch_sweep"),
}
STALL_S = 60.0  # local: above the results subscription's retry horizon (5 tries, 1-10 s apart)
SWEEP_EVERY_S = 10.0
PUBLISH_TIMEOUT_S = 10.0


def watch_env(stall_s: float = STALL_S) -> dict[str, str]:
    return {
        "TABSCRIBE_REDRIVE_TOPIC": WATCH_TOPICS["redrive"],
        "TABSCRIBE_STALL_S": f"{stall_s:g}",
        "TABSCRIBE_DELIVERY_HORIZON_S": f"{stall_s:g}",
    }


def create_subscriptions(
    subscriber: Any,
    project: str,
    topics: dict[str, str],
    url_of: Any,
    push: dict[str, tuple[str, str]] = PUSH,
) -> None:
    """The watchdog's push subscriptions, or `push`'s (`topics`: key → topic path; `url_of`:
    target → URL): retried with backoff, never dead-lettered, as Eventarc's Pub/Sub triggers."""
    for name, (topic, target) in push.items():
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(project, name),
                "topic": topics[topic],
                "push_config": {"push_endpoint": url_of(target)},
                "ack_deadline_seconds": 60,
                "retry_policy": {
                    "minimum_backoff": {"seconds": 1},
                    "maximum_backoff": {"seconds": 10},
                },
            }
        )


class Scheduler:
    """Cloud Scheduler's part: a tick on the sweep topic every `every_s` seconds."""

    def __init__(self, topic: str, log: Path, every_s: float = SWEEP_EVERY_S) -> None:
        self.topic, self.log, self.every_s = topic, log, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self) -> None:
        from functions.core import clients

        future = clients.publisher().publish(self.topic, b"{}", origin="local-scheduler")
        future.result(timeout=PUBLISH_TIMEOUT_S)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.tick()
            except Exception as exc:  # the emulator stopping under us; the next tick tries again
                with self.log.open("a") as out:
                    out.write(f"sweep tick failed: {exc}\n")
