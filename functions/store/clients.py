"""Google Cloud clients, created once per instance on first use (warm instances reuse them).

Each honours its `*_EMULATOR_HOST` variable, so the same code runs against the local emulators.
"""

from __future__ import annotations

from functools import cache

from google.cloud import firestore, pubsub_v1, storage  # type: ignore[attr-defined]

from functions.settings import get_settings


@cache
def db() -> firestore.Client:
    settings = get_settings()
    return firestore.Client(project=settings.project or None, database=settings.firestore_database)


@cache
def gcs() -> storage.Client:
    return storage.Client(project=get_settings().project or None)


@cache
def publisher() -> pubsub_v1.PublisherClient:
    return pubsub_v1.PublisherClient()


def topic_path(topic: str) -> str:
    """A topic name as given (`projects/…/topics/…`) or in the configured project."""
    if topic.startswith("projects/"):
        return topic
    return f"projects/{get_settings().project}/topics/{topic}"
