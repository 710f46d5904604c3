"""At most one model call per object generation: a claim with a lease on `transcriptions/{id}`.

Cloud Storage events arrive at least once. An upload's claim is taken in a Firestore transaction
(a clip's, the voices pass's, an enrichment's and a continuation's, and every lease update, by
compare-and-set on their own document: `_compare_and_set`):
- a tombstone (`deletions/{id}`) of this generation or a newer one: the owner deleted it, skip
  (decision 0024);
- no document, or an older generation on it: claim attempt 1 (a new generation supersedes);
- a newer generation on it: this event is stale, skip;
- the same generation, finished (its final chunk published) or terminal: a duplicate, skip;
- the same generation, lease live (its holder's heartbeat keeps it so): in flight, whatever the
  event id; a delivery of the holder's own event is told to come back later (`Busy`);
- otherwise (the lease expired, or was released for a platform retry): take over, attempt + 1.

Each invocation holds the lease under a token of its own (`holder`: the event id and a random
suffix), renews it while it works (`heartbeat`), and releases it when it hands the event back to
the platform (`release`). docs/decisions/0002-claims-and-runs.md explains the choice.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore

from functions.core import logs
from functions.core.documents import (
    DELETIONS,
    ENRICHMENT_FIELDS,
    TERMINAL,
    TRANSCRIPTIONS,
    Status,
    clip_path,
    enrichment_path,
    finished_run_key,
)

log = logs.get_logger("transcribe")
CLAIM_ATTEMPTS = 10  # a storm of duplicate deliveries contends for one document
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)  # a conditional write lost a race
PENDING = "#pending"  # a handed-over lease's holder suffix, until its continuation claims it


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
class ClipRef:
    """A clip of the upload run `run_attempt` (decision 0010): its claim lives on its own
    document, `clips/{generation}-{run_attempt}-{index}`, and the upload run must stay current."""

    run_attempt: int
    index: int

    def path(self, transcription_id: str, generation: str) -> str:
        return clip_path(transcription_id, generation, self.run_attempt, self.index)


@dataclass(frozen=True)
class EnrichmentRef:
    """An enrichment of the completed upload run `run_attempt` (decision 0026): its claim lives
    on its own document, `enrichments/{generation}-{run_attempt}-{name}`, and the upload run
    must stay current and `completed`."""

    run_attempt: int
    name: str

    def path(self, transcription_id: str, generation: str) -> str:
        return enrichment_path(transcription_id, generation, self.run_attempt, self.name)


@dataclass(frozen=True)
class Claim:
    transcription_id: str
    generation: str
    attempt: int  # of the claimed document's run: the upload's, or the clip's
    holder: str
    last_error: str | None = None  # why the previous attempt handed the event back
    clip: ClipRef | None = None
    enrichment: EnrichmentRef | None = None

    @property
    def part(self) -> ClipRef | EnrichmentRef | None:
        """What of the upload run the claim is for, on a document of its own (None: the run)."""
        return self.clip or self.enrichment

    @property
    def run_attempt(self) -> int:
        """The upload run this claim works for."""
        return self.part.run_attempt if self.part else self.attempt


class Superseded(Exception):
    """A newer generation took the document over while this run was working."""


class Busy(Exception):
    """Another invocation of this very event holds a live lease: the platform should retry later
    (if that invocation died, its lease expires and the retry takes over)."""


def holder_token(event_id: str) -> str:
    """The lease holder of one invocation: a redelivery of the same event is another holder."""
    return f"{event_id}#{uuid.uuid4().hex[:12]}"


def event_of(holder: str) -> str:
    return holder.rpartition("#")[0] or holder


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
    tombstone = db.collection(DELETIONS).document(transcription_id)
    result: tuple[Claim | None, str] = (None, "")

    @firestore.transactional
    def take(transaction: firestore.Transaction) -> None:
        nonlocal result
        deleted = tombstone.get(transaction=transaction).to_dict() or {}
        if int(source.generation) <= int(deleted.get("generation") or 0):
            result = (None, f"deleted by its owner (generation {deleted['generation']})")
            return
        current = ref.get(transaction=transaction).to_dict() or {}
        attempt, why_not = _decide(current, source.generation, holder, now)
        if attempt is None:
            result = (None, why_not)
            return
        fields = _claim_fields(source, holder, attempt, now + dt.timedelta(seconds=lease_s))
        if attempt == 1:  # a new generation: a fresh document
            transaction.set(ref, {**fields, "created_at": firestore.SERVER_TIMESTAMP})
        else:  # the run before asked its own enrichments (decision 0026)
            transaction.update(
                ref, fields | dict.fromkeys(ENRICHMENT_FIELDS, firestore.DELETE_FIELD)
            )
        last_error = current.get("last_error") if attempt > 1 else None
        result = (Claim(transcription_id, source.generation, attempt, holder, last_error), why_not)

    take(db.transaction(max_attempts=CLAIM_ATTEMPTS))
    return result


def claim_clip(
    db: firestore.Client,
    transcription_id: str,
    generation: str,
    part: ClipRef | EnrichmentRef,
    holder: str,
    lease_s: float,
    now: dt.datetime,
) -> tuple[Claim | None, str]:
    """Take the claim of one clip (or one enrichment) of upload run (`generation`,
    `part.run_attempt`), with the same lease discipline as an upload's; (None, why not) when
    that run is no longer current (for an enrichment: no longer `completed`).

    The part's own document is written by compare-and-set; the transcription's is only read,
    before and after, outside any transaction (decision 0010, "Claims per clip")."""
    clip = part if isinstance(part, ClipRef) else None
    enrichment = part if isinstance(part, EnrichmentRef) else None
    upload = Claim(transcription_id, generation, part.run_attempt, holder, None, clip, enrichment)
    ref = db.document(part.path(transcription_id, generation))

    def decide(current: dict[str, Any]) -> tuple[dict[str, Any] | None, Claim | None, str]:
        attempt, why_not = _decide(current, generation, holder, now)
        if attempt is None:
            return None, None, why_not
        fields = {
            "run": {"generation": generation, "attempt": attempt},
            "lease": {"holder": holder, "expires_at": now + dt.timedelta(seconds=lease_s)},
            "last_error": None,
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        last_error = current.get("last_error") if attempt > 1 else None
        return fields, replace(upload, attempt=attempt, last_error=last_error), why_not

    return _claim_under_upload(db, upload, ref, decide)


def _decide(
    current: dict[str, Any], generation: str, holder: str, now: dt.datetime
) -> tuple[int | None, str]:
    run = current.get("run") or {}
    if not run:
        return 1, "new"
    current_generation = int(run.get("generation", 0))
    if int(generation) < current_generation:
        return None, f"stale event: generation {current_generation} supersedes it"
    if int(generation) > current_generation:
        return 1, f"new generation supersedes {current_generation}"
    finished = finished_run_key(run.get("generation"), run.get("attempt")) in (
        current.get("finished_runs") or {}
    )
    if current.get("status") in TERMINAL or finished:
        return None, f"duplicate event: already {current.get('status')}, run finished"
    lease = current.get("lease") or {}
    expires = lease.get("expires_at")
    if expires is not None and expires > now:
        held_by = str(lease.get("holder") or "")
        if event_of(held_by) == event_of(holder):
            raise Busy(f"this event is in flight under {held_by} until {expires.isoformat()}")
        return None, f"in flight under {held_by} until {expires.isoformat()}"
    return int(run.get("attempt", 0)) + 1, "taking over an expired or released lease"


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
        "last_error": None,
        "updated_at": firestore.SERVER_TIMESTAMP,
    }


def next_attempt(db: firestore.Client, current: Claim, lease_s: float, now: dt.datetime) -> Claim:
    """A retry inside the same invocation is a new run: bump the attempt, renew the lease."""
    bumped = replace(current, attempt=current.attempt + 1)
    expires = now + dt.timedelta(seconds=lease_s)
    update_run(db, current, {"run.attempt": bumped.attempt, "lease.expires_at": expires})
    return bumped


def heartbeat(db: firestore.Client, current: Claim, lease_s: float, now: dt.datetime) -> None:
    """Renew the lease of a run that is still working (raises Superseded if it is no longer
    the document's run)."""
    update_run(db, current, {"lease.expires_at": now + dt.timedelta(seconds=lease_s)})


def hand_over(
    db: firestore.Client, current: Claim, token: str, lease_s: float, now: dt.datetime
) -> None:
    """Hand the run's lease to its continuation (decision 0013): held for `token`, which
    `claim_handover` takes, for `lease_s`; 0 when a delivery of it hands back for a retry."""
    expires = now + dt.timedelta(seconds=lease_s)
    update_run(db, current, {"lease.holder": f"{token}{PENDING}", "lease.expires_at": expires})


def claim_handover(
    db: firestore.Client, run: Claim, token: str, lease_s: float, now: dt.datetime
) -> tuple[Claim | None, str]:
    """Take the lease `hand_over` held for `token` (`run.holder` is this invocation's, made
    with `holder_token(token)`). While another delivery of the token works, `Busy`; when it
    died (its lease expired), the run starts over: the claim comes back with the next attempt.
    (None, why not) when the run is no longer the document's, finished, or held by another."""
    ref, expected = _runs(db, run)[-1]

    def decide(current: dict[str, Any]) -> tuple[dict[str, Any] | None, Claim | None, str]:
        if current.get("run") != expected:
            return None, None, f"superseded: the run is now {current.get('run')}"
        attempt: int | None = run.attempt
        why = "handed over"
        if (current.get("lease") or {}).get("holder") != f"{token}{PENDING}":
            attempt, why = _decide(current, run.generation, run.holder, now)
        if attempt is None:
            return None, None, why
        fields: dict[str, Any] = {
            "lease": {"holder": run.holder, "expires_at": now + dt.timedelta(seconds=lease_s)},
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        if attempt != run.attempt:
            fields |= {
                "run": {"generation": run.generation, "attempt": attempt},
                "last_error": None,
            }
        return fields, replace(run, attempt=attempt), why

    return _claim_under_upload(db, run, ref, decide)


Decision = Callable[[dict[str, Any]], tuple[dict[str, Any] | None, Claim | None, str]]


def _claim_under_upload(
    db: firestore.Client, run: Claim, ref: Any, decide: Decision
) -> tuple[Claim | None, str]:
    """Claim `ref` by compare-and-set, while `run`'s upload run is the transcription's and not
    terminal: checked before the claim, and again after it (a run superseded meanwhile is refused
    before any model call; later, the heartbeat and every flush find it)."""
    if why_not := _upload_refusal(db, run):
        return None, why_not
    claimed, why = _compare_and_set(ref, decide)
    if claimed is not None and (why_not := _upload_refusal(db, claimed)):
        if why_not == GONE:  # deleted meanwhile (decision 0024): leave nothing of it behind
            ref.delete()
        return None, why_not
    return claimed, why


GONE = "the transcription was deleted"


def _upload_refusal(db: firestore.Client, run: Claim) -> str | None:
    """Why the transcription's document no longer admits `run`'s upload run, or None."""
    upload = _upload(db, run)
    if not upload:
        return GONE
    if upload.get("run") != _upload_run(run):
        return f"superseded: the transcription's run is now {upload.get('run')}"
    if run.enrichment is not None:  # an enrichment works on a completed transcript
        if upload.get("status") != Status.COMPLETED.value:
            return f"the transcription is {upload.get('status')}, not completed"
    elif upload.get("status") in TERMINAL:
        return f"the transcription is already {upload.get('status')}"
    return None


def _upload(db: firestore.Client, run: Claim) -> dict[str, Any]:
    """The transcription's run and status, by a plain read: the store writes this document while
    clips and continuations stream, and a claim that held it in a transaction waited on those
    writes until its lock timed out (17 times in one voices pass's claim, `bench.long`)."""
    parent = db.collection(TRANSCRIPTIONS).document(run.transcription_id)
    return parent.get(field_paths=["run", "status"]).to_dict() or {}


def _upload_run(run: Claim) -> dict[str, Any]:
    return {"generation": run.generation, "attempt": run.run_attempt}


def _compare_and_set(ref: Any, decide: Decision) -> tuple[Claim | None, str]:
    """Read the claim's document, decide, and write on the condition that it is unchanged
    since the read (or still absent); if another writer came first, read again. No
    transaction: nothing to abort, no lock to wait for (the store's writes are alike, decision
    0003). Each lost race is logged as `claim contended` (benchmarks count them)."""
    for attempt in range(CLAIM_ATTEMPTS):
        snapshot = ref.get()
        fields, claimed, why = decide(snapshot.to_dict() or {})
        if fields is None:
            return None, why
        try:
            if snapshot.exists:
                unchanged = firestore.Client.write_option(last_update_time=snapshot.update_time)
                ref.update(fields, option=unchanged)
            else:
                ref.create(fields)
            return claimed, why
        except CHANGED as exc:
            log.info(f"claim contended: {ref.path} changed since its read ({exc.code})")
            time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
    raise RuntimeError(f"{ref.path} kept changing for {CLAIM_ATTEMPTS} claim attempts")


def release(db: firestore.Client, current: Claim, error: str, now: dt.datetime) -> None:
    """Hand the event back to the platform: the lease ends now, so its retry takes over."""
    update_run(db, current, {"lease.expires_at": now, "last_error": error[:500]})


def is_current(db: firestore.Client, current: Claim) -> bool:
    """Whether `current` is still its documents' run (a read each, no write)."""
    return all(
        (ref.get(field_paths=["run"]).to_dict() or {}).get("run") == run
        for ref, run in _runs(db, current)
    )


def _runs(db: firestore.Client, current: Claim) -> list[tuple[Any, dict[str, Any]]]:
    """The documents whose run `current` must be, and that run: the transcription's (the upload
    run), and for a clip or an enrichment also its own."""
    parent = db.collection(TRANSCRIPTIONS).document(current.transcription_id)
    runs = [(parent, _upload_run(current))]
    if current.part is not None:
        path = current.part.path(current.transcription_id, current.generation)
        part_run = {"generation": current.generation, "attempt": current.attempt}
        runs.append((db.document(path), part_run))
    return runs


def mark_finished(db: firestore.Client, current: Claim) -> None:
    """Record that `current` published its final chunk, so a duplicate event calls no model.

    A blind write under a key of this run's own: it reads nothing, so it cannot deadlock with
    the store, which starts writing the same document the moment the final chunk is out
    (decision 0002), and a newer run, whose key differs, is never taken for finished.
    """
    ref, fields = finished_mark(db, current)
    ref.update(fields)


def finished_mark(db: firestore.Client, current: Claim) -> tuple[Any, dict[str, Any]]:
    """The write `mark_finished` makes (its document and fields), for a caller that commits it
    with writes of its own (an enrichment's record, decision 0026)."""
    key = finished_run_key(current.generation, current.attempt)
    return _runs(db, current)[-1][0], {f"finished_runs.{key}": firestore.SERVER_TIMESTAMP}


def update_run(db: firestore.Client, current: Claim, fields: dict[str, Any]) -> None:
    """Update the claim's document (a clip's own, for a clip) if `current` is still its run;
    raise Superseded if another took over. Like a claim: a compare-and-set on that document, the
    transcription's only read."""
    ref, expected = _runs(db, current)[-1]
    upload_run = _upload(db, current).get("run") if current.part else _upload_run(current)
    if upload_run != _upload_run(current):
        raise Superseded(f"the transcription's run is now {upload_run}")

    def decide(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, Claim | None, str]:
        run = doc.get("run") or {}
        if run != expected:
            raise Superseded(f"run is now {run}, not {expected}")
        return {**fields, "updated_at": firestore.SERVER_TIMESTAMP}, current, "updated"

    _compare_and_set(ref, decide)


class Heartbeat:
    """Renews a run's lease every `interval_s` from a daemon thread while the run works, so the
    lease stays live exactly as long as its holder does; `superseded` turns true once the
    document has another run."""

    def __init__(self, renew: Callable[[], None], interval_s: float) -> None:
        self._renew, self._interval_s = renew, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self.superseded = False

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._renew()
            except Superseded:
                self.superseded = True
                return
            except api_errors.GoogleAPICallError as exc:  # the next beat tries again
                log.warning(f"could not renew the lease: {exc}")
