"""Names both functions share: Firestore paths, ids and statuses (docs/firestore.md)."""

from __future__ import annotations

import hashlib
from enum import StrEnum

TRANSCRIPTIONS = "transcriptions"
PAGES = "pages"
CLIPS = "clips"  # one document per clip of a long upload's run (decision 0010)
ENRICHMENTS = "enrichments"  # an enrichment's lease, `enrichments/{generation}-{attempt}-{name}`
TRANSLATIONS = "translations"  # `translations/{lang}` and its `pages/{nnnn}` (decision 0026)
DELETIONS = "deletions"  # an owner's deletion's tombstone, `deletions/{id}` (decision 0024)
# The batch collector (decisions 0031, 0032): `batches/{batch}`, `batch_lines/{key}` (one request
# each, naming its batch) and `batch_open/{slot}` (a mode and model's open batch).
BATCHES, BATCH_LINES, BATCH_OPEN = "batches", "batch_lines", "batch_open"
# what a run's enrichments write on the document (and the run's ask): a new run's claim removes them
ENRICHMENT_FIELDS = ("asked_enrichments", "enrichments", "chapters", "summary")
# the field Firestore's TTL policies delete a document by, once past (infra/firestore.tf)
EXPIRE_AT = "expire_at"
PAGE_SEGMENTS = 200  # segments per page document (also the transcriber's default chunk size)


class Status(StrEnum):
    QUEUED = "queued"  # waiting in a batch (decision 0032): `processing` once its job runs
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    BLOCKED = "blocked"
    REJECTED = "rejected"


TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.BLOCKED, Status.REJECTED})


def transcription_id(bucket: str, name: str) -> str:
    """One document per source object path, derived deterministically (never from model output)."""
    return hashlib.sha256(f"{bucket}/{name}".encode()).hexdigest()[:32]


def finished_run_key(generation: object, attempt: object) -> str:
    """A run's key in the document's `finished_runs` map (decision 0002)."""
    return f"g{generation}a{attempt}"


def clip_doc_id(generation: object, run_attempt: object, index: int) -> str:
    """A clip's document under its transcription: its upload run, then its index."""
    return f"{generation}-{run_attempt}-{index:03d}"


def enrichment_path(
    transcription_id: str, generation: object, run_attempt: object, name: str
) -> str:
    """The lease document of enrichment `name` of upload run (`generation`, `run_attempt`)."""
    return f"{TRANSCRIPTIONS}/{transcription_id}/{ENRICHMENTS}/{generation}-{run_attempt}-{name}"


def clip_path(transcription_id: str, generation: object, run_attempt: object, index: int) -> str:
    """The path of clip `index` of upload run (`generation`, `run_attempt`) (decision 0010)."""
    name = clip_doc_id(generation, run_attempt, index)
    return f"{TRANSCRIPTIONS}/{transcription_id}/{CLIPS}/{name}"
