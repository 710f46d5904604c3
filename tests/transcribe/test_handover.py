"""The lease a cut-off run hands over to its continuation (decision 0013), on the Firestore
emulator: taken once by the continuation with the run's attempt; a second delivery while it works
is told to come back (`Busy`); a delivery after the holder died starts the run over."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from functions.transcribe import claims

pytestmark = pytest.mark.emulator
NOW = dt.datetime.now(dt.UTC)
TOKEN = "continue-run-1-1"


def handed_over(emulators: Any, unique: str) -> tuple[Any, claims.Claim]:
    """A claimed run whose invocation handed its lease over to TOKEN."""
    db = clients.firestore_client()
    source = claims.Source("bucket", f"uploads/jo/{unique}.mp4", "17", "video/mp4", 10, "jo")
    claim, _ = claims.claim(db, f"{unique:0<32}", source, "evt-1", 600, NOW)
    assert claim is not None and claim.attempt == 1
    claims.hand_over(db, claim, TOKEN, 600, NOW)
    return db, claim


def take(db: Any, run: claims.Claim, lease_s: float = 600, now: dt.datetime = NOW) -> Any:
    """A delivery of the continuation task (a holder of its own) asks for the lease."""
    return claims.claim_handover(
        db, replace(run, holder=claims.holder_token(TOKEN)), TOKEN, lease_s, now
    )


def test_the_continuation_takes_the_handed_over_lease_with_the_runs_attempt(
    emulators: Any, unique: str
) -> None:
    db, run = handed_over(emulators, unique)
    taken, why = take(db, run)
    assert taken is not None and taken.attempt == 1 and why == "handed over"
    with pytest.raises(claims.Busy):  # the same task delivered again while it works
        take(db, run)
    stranger, why = claims.claim_handover(db, replace(run, holder="evt-2#x"), "other", 600, NOW)
    assert stranger is None and "in flight" in why


def test_a_delivery_after_the_continuation_died_starts_the_run_over(
    emulators: Any, unique: str
) -> None:
    db, run = handed_over(emulators, unique)
    assert take(db, run, lease_s=1)[0] is not None  # a 1 s lease, then it dies
    again, _ = take(db, run, now=NOW + dt.timedelta(seconds=5))
    assert again is not None and again.attempt == 2
    doc = db.collection(TRANSCRIPTIONS).document(run.transcription_id).get().to_dict() or {}
    assert doc["run"] == {"generation": "17", "attempt": 2}


def test_a_finished_run_is_not_continued_twice(emulators: Any, unique: str) -> None:
    db, run = handed_over(emulators, unique)
    taken, _ = take(db, run)
    assert taken is not None
    claims.mark_finished(db, taken)
    duplicate, why = take(db, run, now=NOW + dt.timedelta(seconds=900))
    assert duplicate is None and "duplicate" in why
