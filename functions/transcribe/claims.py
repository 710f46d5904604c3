"""At most one model call per object generation: a claim with a lease on `transcriptions/{id}`.

Cloud Storage events arrive at least once. A claim is taken in a Firestore transaction:
- no document, or an older generation on it: claim attempt 1 (a new generation supersedes);
- a newer generation on it: this event is stale, skip;
- the same generation, finished (its final chunk published) or terminal: a duplicate, skip;
- the same generation, lease held by another event and not expired: in flight elsewhere, skip;
- otherwise (lease expired, or the platform retrying this very event): take over, attempt + 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core.documents import TERMINAL, TRANSCRIPTIONS, Status


@dataclass(frozen=True)
class Source:
    bucket: str
    name: str
    generation: str
    content_type: str | None
    size: int | None
    owner: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "name": self.name,
            "generation": self.generation,
            "content_type": self.content_type,
            "size": self.size,
        }


@dataclass(frozen=True)
class Claim:
    transcription_id: str
    generation: str
    attempt: int
    holder: str


class Superseded(Exception):
    """A newer generation took the document over while this run was working."""


def claim(
    db: firestore.Client,
    transcription_id: str,
    source: Source,
    holder: str,
    lease_s: float,
    now: dt.datetime,
) -> tuple[Claim | None, str]:
    """Take the claim, or return (None, why not)."""
    ref = db.collection(TRANSCRIPTIONS).document(transcription_id)
    result: tuple[Claim | None, str] = (None, "")

    @firestore.transactional
    def take(transaction: firestore.Transaction) -> None:
        nonlocal result
        current = ref.get(transaction=transaction).to_dict() or {}
        attempt, why_not = _decide(current, source, holder, now)
        if attempt is None:
            result = (None, why_not)
            return
        fields = _claim_fields(source, holder, attempt, now + dt.timedelta(seconds=lease_s))
        if attempt == 1:  # a new generation: a fresh document
            transaction.set(ref, {**fields, "created_at": firestore.SERVER_TIMESTAMP})
        else:
            transaction.update(ref, fields)
        result = (Claim(transcription_id, source.generation, attempt, holder), why_not)

    take(db.transaction())
    return result


def _decide(
    current: dict[str, Any], source: Source, holder: str, now: dt.datetime
) -> tuple[int | None, str]:
    run = current.get("run") or {}
    if not run:
        return 1, "new"
    current_generation = int(run.get("generation", 0))
    if int(source.generation) < current_generation:
        return None, f"stale event: generation {current_generation} supersedes it"
    if int(source.generation) > current_generation:
        return 1, f"new generation supersedes {current_generation}"
    finished = _run_key(run.get("generation"), run.get("attempt")) in (
        current.get("finished_runs") or {}
    )
    if current.get("status") in TERMINAL or finished:
        return None, f"duplicate event: already {current.get('status')}, run finished"
    lease = current.get("lease") or {}
    expires = lease.get("expires_at")
    if lease.get("holder") != holder and expires is not None and expires > now:
        return None, f"in flight under {lease.get('holder')} until {expires.isoformat()}"
    return int(run.get("attempt", 0)) + 1, "taking over an expired or own lease"


def _claim_fields(
    source: Source, holder: str, attempt: int, expires: dt.datetime
) -> dict[str, Any]:
    return {
        "source": source.as_dict(),
        "owner": source.owner,
        "status": Status.PROCESSING.value,
        "reason": None,
        "run": {"generation": source.generation, "attempt": attempt},
        "lease": {"holder": holder, "expires_at": expires},
        "updated_at": firestore.SERVER_TIMESTAMP,
    }


def next_attempt(db: firestore.Client, current: Claim, lease_s: float, now: dt.datetime) -> Claim:
    """A retry inside the same invocation is a new run: bump the attempt, renew the lease."""
    bumped = Claim(
        current.transcription_id, current.generation, current.attempt + 1, current.holder
    )
    expires = now + dt.timedelta(seconds=lease_s)
    update_run(db, current, {"run.attempt": bumped.attempt, "lease.expires_at": expires})
    return bumped


def mark_finished(db: firestore.Client, current: Claim) -> None:
    """Record that `current` published its final chunk, so a duplicate event calls no model.

    A blind write under a key of this run's own: it reads nothing, so it cannot deadlock with
    the store, which starts writing the same document the moment the final chunk is out
    (decision 0002), and a newer run, whose key differs, is never taken for finished.
    """
    ref = db.collection(TRANSCRIPTIONS).document(current.transcription_id)
    key = _run_key(current.generation, current.attempt)
    ref.update({f"finished_runs.{key}": firestore.SERVER_TIMESTAMP})


def _run_key(generation: object, attempt: object) -> str:
    return f"g{generation}a{attempt}"


def update_run(db: firestore.Client, current: Claim, fields: dict[str, Any]) -> None:
    """Update the document if `current` is still its run; raise Superseded if another took over."""
    ref = db.collection(TRANSCRIPTIONS).document(current.transcription_id)

    @firestore.transactional
    def update(transaction: firestore.Transaction) -> None:
        run = (ref.get(transaction=transaction).to_dict() or {}).get("run") or {}
        if run.get("generation") != current.generation or run.get("attempt") != current.attempt:
            raise Superseded(f"run is now {run}, not ({current.generation}, {current.attempt})")
        transaction.update(ref, {**fields, "updated_at": firestore.SERVER_TIMESTAMP})

    update(db.transaction())
