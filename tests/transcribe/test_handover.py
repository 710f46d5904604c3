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


def claimed_run(emulators: Any, unique: str) -> tuple[Any, claims.Claim]:
    db = clients.firestore_client()
    source = claims.Source("bucket", f"uploads/jo/{unique}.mp4", "17", "video/mp4", 10, "jo")
    tid = f"{unique:0<32}"
    claim, _ = claims.claim(db, tid, source, "evt-1", 600, NOW)
    assert claim is not None and claim.attempt == 1
    return db, claim


def test_the_continuation_takes_the_handed_over_lease_with_the_runs_attempt(
    emulators: Any, unique: str
) -> None:
    db, run = claimed_run(emulators, unique)
    claims.hand_over(db, run, TOKEN, 600, NOW)
    mine = replace(run, holder=claims.holder_token(TOKEN))
    taken, why = claims.claim_handover(db, mine, TOKEN, 600, NOW)
    assert taken is not None and taken.attempt == 1 and why == "handed over"
    with pytest.raises(claims.Busy):  # the same task delivered again while it works
        claims.claim_handover(db, replace(run, holder=claims.holder_token(TOKEN)), TOKEN, 600, NOW)
    stranger, why = claims.claim_handover(db, replace(run, holder="evt-2#x"), "other", 600, NOW)
    assert stranger is None and "in flight" in why


def test_a_delivery_after_the_continuation_died_starts_the_run_over(
    emulators: Any, unique: str
) -> None:
    db, run = claimed_run(emulators, unique)
    claims.hand_over(db, run, TOKEN, 600, NOW)
    dead = replace(run, holder=claims.holder_token(TOKEN))
    assert claims.claim_handover(db, dead, TOKEN, 1, NOW)[0] is not None  # a 1 s lease, then dies
    later = NOW + dt.timedelta(seconds=5)
    again, _ = claims.claim_handover(
        db, replace(run, holder=claims.holder_token(TOKEN)), TOKEN, 600, later
    )
    assert again is not None and again.attempt == 2
    doc = db.collection(TRANSCRIPTIONS).document(run.transcription_id).get().to_dict() or {}
    assert doc["run"] == {"generation": "17", "attempt": 2}


def test_a_finished_run_is_not_continued_twice(emulators: Any, unique: str) -> None:
    db, run = claimed_run(emulators, unique)
    claims.hand_over(db, run, TOKEN, 600, NOW)
    mine = replace(run, holder=claims.holder_token(TOKEN))
    taken, _ = claims.claim_handover(db, mine, TOKEN, 600, NOW)
    assert taken is not None
    claims.mark_finished(db, taken)
    late = NOW + dt.timedelta(seconds=900)
    duplicate, why = claims.claim_handover(
        db, replace(run, holder=claims.holder_token(TOKEN)), TOKEN, 600, late
    )
    assert duplicate is None and "duplicate" in why
