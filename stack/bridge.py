"""The local stand-in for Eventarc: every finished upload becomes a CloudEvent for the transcriber.

The Cloud Storage emulator has no notifications, so the bridge lists the bucket a few times a
second and delivers `google.cloud.storage.object.v1.finalized` for each new object generation,
in binary content mode, as Eventarc does (for every object: the function filters by prefix).
Any object name Cloud Storage allows is delivered (attributes are percent-encoded in headers).
A delivery that is not answered 2xx is retried with exponential backoff, as Eventarc does, within
a bounded number of attempts and age (`RetryPolicy`); every give-up is logged. Nothing in the
bridge dies silently: a failure is a line in its log, and the listing goes on.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stack.events import object_resource, storage_event

POLL_S = 0.2
GAVE_UP = "gave up on"  # the log line `stack.follow` looks for
DELIVERY_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class RetryPolicy:
    """Eventarc retries for a day with backoff from 10 s to 600 s; locally, far less.
    `TABSCRIBE_BRIDGE_ATTEMPTS` and `TABSCRIBE_BRIDGE_MAX_AGE_S` override the bounds."""

    attempts: int = 6
    max_age_s: float = 300.0
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        default = cls()
        return cls(
            attempts=int(os.environ.get("TABSCRIBE_BRIDGE_ATTEMPTS", default.attempts)),
            max_age_s=float(os.environ.get("TABSCRIBE_BRIDGE_MAX_AGE_S", default.max_age_s)),
        )

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (1-based): doubling, capped."""
        return float(min(self.first_delay_s * 2 ** (attempt - 1), self.max_delay_s))


def shown(name: str) -> str:
    """An object name on one log line (a name may hold a newline)."""
    return name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


class Bridge:
    def __init__(
        self, bucket: str, target_url: str, log: Path, policy: RetryPolicy | None = None
    ) -> None:
        self.bucket, self.target_url, self.log = bucket, target_url, log
        self.policy = policy or RetryPolicy.from_env()
        self._seen: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="bridge", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from functions.core import clients

        bucket = clients.storage_client().bucket(self.bucket)
        while not self._stop.wait(POLL_S):
            try:
                self._poll(bucket)
            except Exception as exc:  # the emulator stopping under us, a transient error
                self._write(f"list failed: {type(exc).__name__}: {exc}")

    def _poll(self, bucket: Any) -> None:
        for blob in list(bucket.list_blobs()):
            if self._seen.get(blob.name) != blob.generation:
                data = object_resource(blob)
                self._seen[blob.name] = blob.generation
                threading.Thread(target=self._deliver, args=(data,), daemon=True).start()

    def _deliver(self, data: dict[str, Any]) -> None:
        label = f"{shown(data['name'])}#{data['generation']}"
        try:
            self._deliver_with_retries(data, label)
        except Exception as exc:  # a bug here must still leave a line, and a give-up
            self._write(f"{GAVE_UP} {label}: {type(exc).__name__}: {exc}")

    def _deliver_with_retries(self, data: dict[str, Any], label: str) -> None:
        headers, body = storage_event(data)
        payload = json.dumps(body).encode()
        started = time.monotonic()
        for attempt in range(1, self.policy.attempts + 1):
            outcome = self._post(headers, payload)
            self._write(f"{headers['ce-id']} {label} attempt {attempt}: {outcome}")
            if outcome.startswith("2"):
                return
            delay = self.policy.delay(attempt)
            age = time.monotonic() - started + delay
            if attempt == self.policy.attempts or age > self.policy.max_age_s:
                why = f"{attempt} attempts" if attempt == self.policy.attempts else "max age"
                self._write(f"{GAVE_UP} {label} after {attempt} attempt(s) ({why}): {outcome}")
                return
            if self._stop.wait(delay):
                return

    def _post(self, headers: dict[str, str], payload: bytes) -> str:
        """One delivery: the status code, or the error that stood for one."""
        request = urllib.request.Request(self.target_url, payload, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as response:
                return str(response.status)
        except urllib.error.HTTPError as exc:
            return str(exc.code)
        except OSError as exc:
            return f"error: {exc}"

    def _write(self, line: str) -> None:
        with self._lock, self.log.open("a") as out:
            out.write(f"{time.strftime('%H:%M:%S')} {line}\n")
