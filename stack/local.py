"""The whole pipeline on this machine, with real parts.

Firestore (with the security rules), Pub/Sub, Cloud Storage and Firebase Authentication emulators;
the Gemini API stand-in (unless real credentials are configured); the functions served by
functions-framework; the topics, the push subscriptions to the store and to the clip transcriber
with their dead-letter topic; the bridge that turns every finished upload into the CloudEvent
Eventarc would deliver; the watchdog (`stack/watch.py`); and the upload function with the
signed-URL gateway in front of the storage emulator (`stack/signed.py`), through which the reads
function's signed URLs serve the viewer its media and downloads too; the corrections function
the viewer calls, and its carrying over of corrections to a new run, subscribed to the events
topic.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from stack.bridge import Bridge
from stack.services import Service, free_port, spawn, start_all, stop_all, wait_all
from stack.signed import Gateway, write_signing_key
from stack.watch import (
    STALL_S,
    SWEEP_EVERY_S,
    WATCH_FUNCTIONS,
    WATCH_TOPICS,
    Scheduler,
    create_subscriptions,
    watch_env,
)
from stack.web import Viewer, viewer_config

ROOT = Path(__file__).parent.parent
PROJECT = "tabscribe-local"
BUCKET = "tabscribe-uploads"
RESULTS_BUCKET = "tabscribe-results"  # as deployed: outputs never land in the watched bucket
TOPICS = {
    "results": "tabscribe-results",
    "clips": "tabscribe-clips",
    "events": "tabscribe-events",
    "dead": "tabscribe-dead-letter",
    **WATCH_TOPICS,
}
MAX_DELIVERY_ATTEMPTS = 5
UPLOAD_TARGET = "upload_url"  # the HTTP functions apps call: uploads,
READS_TARGET = "media_url"  # reads,
DELETE_TARGET = "delete_transcription"  # deletion,
CORRECTIONS_TARGET = "correct_transcription"  # and corrections
HTTP_TARGETS = (UPLOAD_TARGET, READS_TARGET, DELETE_TARGET, CORRECTIONS_TARGET)
CARRY_TARGET = "carry_corrections"  # the events topic's subscriber: corrections carried over
CARRY_PUSH = {"carry-push": ("events", CARRY_TARGET)}
BATCH_TARGET = "batch_poll"  # batch mode's poll, on the sweep's tick as deployed (decision 0032)
BATCH_PUSH = {"batch-poll-push": ("sweep", BATCH_TARGET)}


def gemini_env() -> dict[str, str]:
    """Real Gemini with a Developer API key; otherwise the stand-in (its URL is filled in later).
    Vertex mode cannot read objects in the local Cloud Storage emulator."""
    if os.environ.get("GEMINI_API_KEY"):
        return {"TABSCRIBE_GEMINI_MODE": "developer", "TABSCRIBE_GEMINI_BASE_URL": ""}
    return {"TABSCRIBE_GEMINI_MODE": "vertex", "TABSCRIBE_LOCATION": "us-central1"}


@dataclass
class LocalStack:
    workdir: Path = ROOT / ".local" / "stack"
    token_rate: float = 0.0
    stall_s: float = STALL_S  # the watchdog's TABSCRIBE_STALL_S
    tick_s: float = SWEEP_EVERY_S  # Cloud Scheduler's tick: the sweep and batch mode's poll
    services: list[Service] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    bridge: Bridge | None = None
    viewer: Viewer | None = None
    gateway: Gateway | None = None
    http_env: dict[str, str] = field(default_factory=dict)  # the HTTP functions' settings
    scheduler: Scheduler | None = None
    # settings for this stack's functions only (TABSCRIBE_*, THREADS): this process's
    # environment never holds them, so they end with the stack
    function_env: dict[str, str] = field(default_factory=dict)
    saved_env: dict[str, str | None] = field(default_factory=dict)  # the names start set, before

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    @property
    def real_gemini(self) -> bool:
        return bool(os.environ.get("GEMINI_API_KEY"))

    def start(self) -> None:
        """Start every part, or stop what started and raise naming the part and its log."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.services = start_all(self.logs, PROJECT, rules=ROOT / "firestore.rules", auth=True)
        self.env = {
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "TABSCRIBE_RESULTS_BUCKET": RESULTS_BUCKET,
            **gemini_env(),
        }
        for service in self.services:
            self.env.update(service.env)
        self._enter_environment()
        if not self.real_gemini:
            self.services.append(self._start_standin())
        upload_port, reads_port = free_port(), free_port()
        delete_port, corrections_port = free_port(), free_port()
        self.viewer = Viewer(
            viewer_config(
                self.env,
                PROJECT,
                f"http://127.0.0.1:{upload_port}/",
                f"http://127.0.0.1:{reads_port}/",
                f"http://127.0.0.1:{delete_port}/",
                f"http://127.0.0.1:{corrections_port}/",
            )
        )
        signed_urls = self._start_gateway()
        functions = [
            self._start_function("transcribe_upload"),
            self._start_function("transcribe_clip"),
            self._start_function("store_transcription"),
            *(self._start_function(target) for target in WATCH_FUNCTIONS),
            self._start_function(UPLOAD_TARGET, upload_port),
            self._start_function(READS_TARGET, reads_port),
            self._start_function(DELETE_TARGET, delete_port),
            self._start_function(CORRECTIONS_TARGET, corrections_port),
            self._start_function(CARRY_TARGET),
            self._start_function(BATCH_TARGET),
        ]
        self.services += functions
        wait_all(functions)
        self._create_resources()
        self.bridge = Bridge(BUCKET, self.url("transcribe_upload"), self.logs / "bridge.log")
        self.bridge.start()
        self.viewer.start(signed=(signed_urls,))
        topic = f"projects/{PROJECT}/topics/{TOPICS['sweep']}"
        self.scheduler = Scheduler(topic, self.logs / "scheduler.log", self.tick_s)
        self.scheduler.start()

    def _enter_environment(self) -> None:
        """This process's clients talk to this stack's emulators; `stop` puts back those names."""
        self.saved_env = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        _forget_clients()

    def _start_standin(self) -> Service:
        port = free_port()
        command = [sys.executable, "-m", "standin", "--host", "127.0.0.1", "--port", str(port)]
        service = spawn(
            "standin", [*command, "--token-rate", str(self.token_rate)], self.logs, port
        )
        wait_all([service])
        self.env["TABSCRIBE_GEMINI_BASE_URL"] = f"http://{service.host_port}"
        return service

    def _start_gateway(self) -> str:
        """The signing key, and Cloud Storage's signed-URL endpoint in front of the emulator
        (its URL)."""
        assert self.viewer is not None
        key_file = self.workdir / "signing-key.json"
        self.gateway = Gateway(write_signing_key(key_file, PROJECT), (self.viewer.origin,))
        self.gateway.start()
        self.http_env = {
            "TABSCRIBE_UPLOAD_BUCKET": BUCKET,
            "TABSCRIBE_UPLOAD_ORIGINS": json.dumps([self.viewer.origin]),
            "TABSCRIBE_SIGNED_URL_ENDPOINT": self.gateway.url,
            "TABSCRIBE_SIGNING_KEY_FILE": str(key_file),
        }
        return self.gateway.url

    def restart(self, target: str, function_env: dict[str, str] | None = None) -> None:
        """Start a function again on its port (after a test or a benchmark killed it), with
        `function_env` over the stack's own settings."""
        old = next(s for s in self.services if s.name == target)
        old.stop()
        old.log.replace(old.log.with_suffix(".before-restart.log"))  # spawn starts a new log
        new = self._start_function(target, old.port, function_env)
        wait_all([new])
        self.services[self.services.index(old)] = new

    def _start_function(
        self, target: str, port: int | None = None, function_env: dict[str, str] | None = None
    ) -> Service:
        port = port or free_port()
        command = [
            sys.executable,
            "-m",
            "functions_framework",
            f"--target={target}",
            f"--signature-type={'http' if target in HTTP_TARGETS else 'cloudevent'}",
            f"--source={ROOT / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={port}",
        ]
        env = {
            **self.env,
            "TABSCRIBE_RESULTS_TOPIC": TOPICS["results"],
            "TABSCRIBE_CLIPS_TOPIC": TOPICS["clips"],
            "TABSCRIBE_EVENTS_TOPIC": TOPICS["events"],
            **watch_env(self.stall_s),
            **(self.http_env if target in HTTP_TARGETS else {}),
            "PYTHONPATH": str(ROOT),
            **self.function_env,
            **(function_env or {}),
        }
        return spawn(target, command, self.logs, port, env)

    def url(self, target: str) -> str:
        service = next(s for s in self.services if s.name == target)
        return f"http://{service.host_port}/"

    def _create_resources(self) -> None:
        from google.cloud import pubsub_v1

        from functions.core import clients

        for bucket in (BUCKET, RESULTS_BUCKET):
            clients.storage_client().create_bucket(bucket)
        publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
        path = {key: publisher.topic_path(PROJECT, name) for key, name in TOPICS.items()}
        for topic in path.values():
            publisher.create_topic(name=topic)
        for name, topic, target, deadline_s in (
            ("store-push", "results", "store_transcription", 60),
            ("clips-push", "clips", "transcribe_clip", 600),  # a clip's whole model call
        ):
            subscriber.create_subscription(
                request={
                    "name": subscriber.subscription_path(PROJECT, name),
                    "topic": path[topic],
                    "push_config": {"push_endpoint": self.url(target)},
                    "ack_deadline_seconds": deadline_s,
                    "dead_letter_policy": {
                        "dead_letter_topic": path["dead"],
                        "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
                    },
                    "retry_policy": {
                        "minimum_backoff": {"seconds": 1},
                        "maximum_backoff": {"seconds": 10},
                    },
                }
            )
        create_subscriptions(subscriber, PROJECT, path, self.url)
        create_subscriptions(subscriber, PROJECT, path, self.url, CARRY_PUSH)
        create_subscriptions(subscriber, PROJECT, path, self.url, BATCH_PUSH)
        for key in ("dead", "events"):
            subscriber.create_subscription(
                name=subscriber.subscription_path(PROJECT, f"{TOPICS[key]}-pull"), topic=path[key]
            )

    def stop(self) -> None:
        if self.viewer is not None:
            self.viewer.stop()
            self.viewer = None
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.bridge is not None:
            self.bridge.stop()
        stop_all(list(reversed(self.services)))
        self.services = []
        if self.saved_env:  # the names start set, as they were; the rest as it is now
            for name, value in self.saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self.saved_env = {}
            _forget_clients()


def _forget_clients() -> None:
    """Clients are cached per process; a new environment needs new ones."""
    from functions.core import clients

    for factory in (clients.storage_client, clients.firestore_client, clients.publisher):
        factory.cache_clear()
