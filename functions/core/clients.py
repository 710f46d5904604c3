"""Google Cloud clients, created lazily once per instance and reused by warm invocations.

Against the local emulators the standard `*_EMULATOR_HOST` variables point the real clients at
them; Cloud Storage then needs anonymous credentials.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: each function pays only for the clients it uses
    from google.cloud import firestore
    from google.cloud.pubsub_v1 import PublisherClient
    from google.cloud.storage import Client as StorageClient


@cache
def storage_client() -> StorageClient:
    from google.cloud.storage import Client

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return Client(project=_project(), credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return Client()


@cache
def firestore_client(database: str = "(default)") -> firestore.Client:
    from google.cloud import firestore

    return firestore.Client(project=_project() or None, database=database)


@cache
def publisher() -> PublisherClient:
    from google.cloud.pubsub_v1 import PublisherClient

    return PublisherClient()


def _project() -> str:
    return os.environ.get("GOOGLE_CLOUD_PROJECT", "")
