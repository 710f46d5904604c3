"""Which uploads go to the batch service (decision 0032): `priority` metadata first, else a batch
folder of `TABSCRIBE_BATCH_PREFIXES`."""

from __future__ import annotations

import pytest

from functions.core.settings import Settings
from functions.transcribe.batched import chosen
from functions.transcribe.media import MediaRejected
from functions.transcribe.run import StorageObject


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    return Settings(batch_prefixes=("archive/",))


def upload(name: str, **metadata: str) -> StorageObject:
    return StorageObject(bucket="b", name=name, generation="1", metadata=metadata)


@pytest.mark.parametrize(
    ("name", "metadata", "batch"),
    [
        ("uploads/ana/talk.mp4", {}, False),
        ("uploads/ana/talk.mp4", {"priority": "batch"}, True),
        ("uploads/ana/archive/talk.mp4", {}, True),
        ("uploads/archive/talk.mp4", {}, True),  # ownerless, under the input prefix's folder
        ("uploads/ana/archive/talk.mp4", {"priority": "standard"}, False),
        ("uploads/ana/old/archive/talk.mp4", {}, False),
    ],
)
def test_metadata_first_then_the_batch_folders(
    settings: Settings, name: str, metadata: dict[str, str], batch: bool
) -> None:
    assert chosen(upload(name, **metadata), settings) is batch


def test_an_unknown_priority_rejects_the_upload(settings: Settings) -> None:
    with pytest.raises(MediaRejected, match="priority"):
        chosen(upload("uploads/ana/talk.mp4", priority="later"), settings)
