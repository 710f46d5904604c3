"""The local stand-in for Eventarc: every finished upload becomes a CloudEvent for the transcriber.

The Cloud Storage emulator has no notifications, so the bridge lists the bucket a few times a
second and delivers `google.cloud.storage.object.v1.finalized` for each new object generation,
in binary content mode, as Eventarc does (for every object: the function filters by prefix).
A 5xx answer ("retry me") is retried with backoff.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from stack.events import object_resource, storage_event

POLL_S = 0.2
RETRY_DELAYS_S = (1.0, 3.0, 10.0)  # Eventarc retries for up to a day; locally three times
GAVE_UP = "gave up on"  # the log line `stack.follow` looks for


class Bridge:
    def __init__(self, bucket: str, target_url: str, log: Path) -> None:
        self.bucket, self.target_url, self.log = bucket, target_url, log
        self._seen: dict[str, int] = {}
        self._stop = threading.Event()
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
                blobs = list(bucket.list_blobs())
            except Exception as exc:  # the emulator stopping under us, a transient error
                self._write(f"list failed: {exc}")
                continue
            for blob in blobs:
                if self._seen.get(blob.name) != blob.generation:
                    self._seen[blob.name] = blob.generation
                    data = object_resource(blob)
                    threading.Thread(target=self._deliver, args=(data,), daemon=True).start()

    def _deliver(self, data: dict[str, object]) -> None:
        headers, body = storage_event(data)
        for delay in (*RETRY_DELAYS_S, None):
            request = urllib.request.Request(
                self.target_url, json.dumps(body).encode(), headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    self._write(
                        f"{headers['ce-id']} {data['name']}#{data['generation']}: {response.status}"
                    )
                    return
            except urllib.error.HTTPError as exc:
                self._write(f"{headers['ce-id']} {data['name']}: {exc.code}")
                if exc.code < 500:
                    return
            except OSError as exc:
                self._write(f"{headers['ce-id']} {data['name']}: {exc}")
            if delay is None:
                self._write(f"{GAVE_UP} {data['name']}#{data['generation']}")
            if delay is None or self._stop.wait(delay):
                return

    def _write(self, line: str) -> None:
        with self.log.open("a") as out:
            out.write(f"{time.strftime('%H:%M:%S')} {line}\n")
