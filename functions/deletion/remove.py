"""What a deletion removes, in the order that lets nothing come back (decision 0024):

1. one transaction: the caller must own the document; the tombstone `deletions/{id}` is written
   (the newest generation of the media, so a re-delivered finalize of it claims nothing) and the
   document deleted, so a run in flight finds itself superseded at its next flush or heartbeat;
2. the document's subcollections (pages, pending, clips and theirs, history, the translations
   and their pages, the enrichments' leases), recursively;
3. every generation of the media object, and everything under the output prefix for the id in
   the results bucket (exports, the translations' exports, claim checks, the voices reel);
4. the `transcription.deleted` event; the tombstone then keeps only {generation, owner, times}.

A deletion cut short (a crash, a timeout) is finished by the owner's next request for it: the
tombstone keeps the source's name until step 4 is done.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore

from functions.core import clients, events, logs
from functions.core.documents import DELETIONS, EXPIRE_AT, TRANSCRIPTIONS
from functions.core.events import deleted_event
from functions.core.http import Forbidden, NotFound
from functions.core.settings import Settings

log = logs.get_logger("deletion")
# A done tombstone goes (Firestore's TTL) once no finalize event of the deleted generations can
# still come: a Pub/Sub subscription, the trigger's too, keeps a message at most 7 days.
TOMBSTONE_KEPT = dt.timedelta(days=8)


@dataclass(frozen=True)
class Removed:
    documents: int
    objects: int

    def counts(self) -> dict[str, int]:
        return {"documents": self.documents, "objects": self.objects}


def delete(settings: Settings, transcription_id: str, uid: str) -> Removed:
    """Remove the transcription `transcription_id` of owner `uid`, or raise Forbidden/NotFound."""
    db = clients.firestore_client(settings.firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(transcription_id)
    tombstone = db.collection(DELETIONS).document(transcription_id)
    source = _tombstone(db, ref, tombstone, uid, settings)
    documents = db.recursive_delete(ref)  # its count includes the document, gone in step 1
    objects = _remove_objects(settings, transcription_id, source)
    event = deleted_event(
        transcription_id, uid, source, str(source["generation"]), dt.datetime.now(dt.UTC)
    )
    events.publish(event, transcription_id)
    tombstone.update(
        {
            "source": firestore.DELETE_FIELD,
            "done_at": firestore.SERVER_TIMESTAMP,
            EXPIRE_AT: dt.datetime.now(dt.UTC) + TOMBSTONE_KEPT,
        }
    )
    extra = {"transcription_id": transcription_id, "documents": documents, "objects": objects}
    log.info("transcription deleted by its owner", extra=extra)
    return Removed(documents, objects)


def _tombstone(db: Any, ref: Any, tombstone: Any, uid: str, settings: Settings) -> dict[str, Any]:
    """Step 1, or the source of a deletion the owner started and that did not finish."""
    source: dict[str, Any] = {}

    @firestore.transactional
    def record(transaction: firestore.Transaction) -> None:
        nonlocal source
        doc = ref.get(transaction=transaction).to_dict()
        if doc is None:
            source = _unfinished(tombstone.get(transaction=transaction).to_dict(), uid)
            return
        if doc.get("owner") != uid:
            raise Forbidden("only the owner may delete a transcription")
        source = {**doc["source"], "generation": _newest(settings, doc["source"])}
        transaction.set(
            tombstone,
            {
                "generation": source["generation"],
                "owner": uid,
                "source": source,
                "deleted_at": firestore.SERVER_TIMESTAMP,
            },
        )
        transaction.delete(ref)

    record(db.transaction())
    return source


def _unfinished(tombstone: dict[str, Any] | None, uid: str) -> dict[str, Any]:
    if tombstone is None or tombstone.get("owner") != uid or not tombstone.get("source"):
        raise NotFound("no such transcription")
    return dict(tombstone["source"])


def _newest(settings: Settings, source: dict[str, Any]) -> str:
    """The newest generation of the source object (the document's, or a later upload's)."""
    generations = [int(source["generation"])] + [
        blob.generation for blob in _versions(source["bucket"], source["name"])
    ]
    return str(max(generations))


def _versions(bucket: str, name: str) -> list[Any]:
    blobs = clients.storage_client().list_blobs(bucket, prefix=name, versions=True)
    return [blob for blob in blobs if blob.name == name]


def _remove_objects(settings: Settings, transcription_id: str, source: dict[str, Any]) -> int:
    """Every generation of the media, and the results under `{output prefix}{id}/`."""
    results = settings.results_bucket or source["bucket"]
    prefix = f"{settings.output_prefix}{transcription_id}/"
    storage = clients.storage_client()
    blobs = _versions(source["bucket"], source["name"]) + list(
        storage.list_blobs(results, prefix=prefix, versions=True)
    )
    for blob in blobs:
        with suppress(api_errors.NotFound):  # a deletion resumed, or a racing one, came first
            blob.bucket.delete_blob(blob.name, generation=blob.generation)
    return len(blobs)
