"""Claims while the store writes the transcription's document, on the Firestore emulator: many
deliveries of one clip, voices or continuation task at once end with exactly one claim, and no
claim begins (so none aborts) a transaction, whatever the store writes meanwhile."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.transaction import Transaction

from functions.core import clients
from functions.core.documents import TRANSCRIPTIONS
from functions.transcribe import claims

pytestmark = pytest.mark.emulator
NOW = dt.datetime.now(dt.UTC)
DELIVERIES = 12
VOICES = 4  # the voices pass answers as clip `count` (decision 0010)


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> list[bytes | None]:
    """Every transaction begun, by its retry id: a retry id means the one before it aborted."""
    begun: list[bytes | None] = []
    begin = Transaction._begin

    def counted(self: Transaction, retry_id: bytes | None = None) -> None:
        begun.append(retry_id)
        begin(self, retry_id=retry_id)

    monkeypatch.setattr(Transaction, "_begin", counted)
    return begun


def upload_run(unique: str) -> tuple[Any, claims.Claim]:
    db = clients.firestore_client()
    source = claims.Source("bucket", f"uploads/jo/{unique}.mp4", "17", "video/mp4", 10, "jo")
    claim, _ = claims.claim(db, f"{unique:0<32}", source, "evt-upload", 600, NOW)
    assert claim is not None
    return db, claim


@pytest.fixture
def store_writes(emulators: Any) -> Iterator[Callable[[str], list[int]]]:
    """Writes a transcription's document as the store does (a page and the document in one
    batch, on the condition that the document is unchanged since its read) until the test ends;
    the list it returns counts the writes that landed."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(transcription_id: str) -> list[int]:
        db = clients.firestore_client()
        ref = db.collection(TRANSCRIPTIONS).document(transcription_id)
        landed: list[int] = []

        def write() -> None:
            while not stop.is_set():
                snapshot = ref.get()
                batch = db.batch()
                batch.set(ref.collection("pages").document("p0000"), {"count": len(landed)})
                unchanged = db.write_option(last_update_time=snapshot.update_time)
                fields = {
                    "progress.segments": len(landed),
                    "updated_at": firestore.SERVER_TIMESTAMP,
                }
                batch.update(ref, fields, option=unchanged)
                try:
                    batch.commit()
                    landed.append(1)
                except claims.CHANGED:
                    pass

        threads.append(threading.Thread(target=write, daemon=True))
        threads[-1].start()
        return landed

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=10)


def deliver_at_once(
    ask: Callable[[int], tuple[claims.Claim | None, str]], transactions: list[bytes | None]
) -> tuple[list[Any], list[bytes | None]]:
    """DELIVERIES calls of `ask` at once: each one's result (a claim, a reason, or `Busy`), and
    the transactions begun meanwhile."""

    def one(n: int) -> Any:
        try:
            return ask(n)
        except claims.Busy as exc:
            return exc

    before = len(transactions)
    with ThreadPoolExecutor(DELIVERIES) as pool:
        results = list(pool.map(one, range(DELIVERIES)))
    return results, transactions[before:]


def claimed(results: list[Any]) -> list[claims.Claim]:
    return [r[0] for r in results if isinstance(r, tuple) and r[0] is not None]


def assert_one_claim_and_no_transaction(
    delivered: tuple[list[Any], list[bytes | None]], landed: list[int]
) -> claims.Claim:
    results, transactions = delivered
    winners = claimed(results)
    assert len(winners) == 1, results
    losers = [r for r in results if not (isinstance(r, tuple) and r[0] is not None)]
    assert all(isinstance(r, claims.Busy) or "in flight" in r[1] for r in losers), losers
    assert transactions == [], (
        f"{len(transactions)} transactions begun, {sum(map(bool, transactions))} after an abort"
    )
    assert landed, "the store's writes went on meanwhile"
    return winners[0]


@pytest.mark.parametrize("index", [0, VOICES], ids=["clip", "voices"])
def test_deliveries_of_a_clip_task_end_with_one_claim_while_the_store_writes(
    unique: str,
    index: int,
    store_writes: Callable[[str], list[int]],
    transactions: list[bytes | None],
) -> None:
    db, run = upload_run(unique)
    landed = store_writes(run.transcription_id)
    clip = claims.ClipRef(run.attempt, index)

    def ask(n: int) -> tuple[claims.Claim | None, str]:
        message = "message-1" if n % 2 else f"message-{n}"  # redeliveries and duplicates
        holder = claims.holder_token(message)
        return claims.claim_clip(db, run.transcription_id, "17", clip, holder, 600, NOW)

    winner = assert_one_claim_and_no_transaction(deliver_at_once(ask, transactions), landed)
    assert winner.attempt == 1 and winner.clip == clip
    before = len(transactions)
    claims.heartbeat(db, winner, 600, NOW)  # the heartbeat, too, only reads the transcription
    assert transactions[before:] == []


@pytest.mark.parametrize("clip", [False, True], ids=["single-run", "clip"])
def test_deliveries_of_a_continuation_end_with_one_claim_while_the_store_writes(
    unique: str,
    clip: bool,
    store_writes: Callable[[str], list[int]],
    transactions: list[bytes | None],
) -> None:
    db, run = upload_run(unique)
    if clip:
        taken, _ = claims.claim_clip(
            db, run.transcription_id, "17", claims.ClipRef(1, 2), "clip-evt#a", 600, NOW
        )
        assert taken is not None
        run = taken
    landed = store_writes(run.transcription_id)
    claims.hand_over(db, run, "continue-1", 600, NOW)

    def ask(n: int) -> tuple[claims.Claim | None, str]:
        holder = claims.holder_token("continue-1")
        return claims.claim_handover(db, replace(run, holder=holder), "continue-1", 600, NOW)

    winner = assert_one_claim_and_no_transaction(deliver_at_once(ask, transactions), landed)
    assert winner.attempt == run.attempt


def test_a_clip_of_a_run_superseded_meanwhile_is_refused(unique: str) -> None:
    db, run = upload_run(unique)
    newer = claims.Source("bucket", f"uploads/jo/{unique}.mp4", "18", "video/mp4", 10, "jo")
    assert claims.claim(db, run.transcription_id, newer, "evt-newer", 600, NOW)[0] is not None
    clip = claims.ClipRef(1, 0)
    refused, why = claims.claim_clip(db, run.transcription_id, "17", clip, "m#1", 600, NOW)
    assert refused is None and "superseded" in why


@pytest.mark.parametrize("newer", [False, True], ids=["taken over", "new generation"])
def test_a_new_run_s_claim_removes_the_earlier_run_s_enrichments(
    emulators: Any, unique: str, newer: bool
) -> None:
    db, run = upload_run(unique)
    ref = db.collection(TRANSCRIPTIONS).document(run.transcription_id)
    earlier = {
        "asked_enrichments": ["chapters"],
        "enrichments": {"chapters": {"status": "completed"}},
        "chapters": [{"start_ms": 0, "title": "Opening"}],
        "summary": "Ada opens.",
        "lease.expires_at": NOW - dt.timedelta(seconds=1),  # the earlier run's lease is gone
    }
    ref.update(earlier)
    generation = "18" if newer else "17"
    source = claims.Source("bucket", f"uploads/jo/{unique}.mp4", generation, None, 10, "jo")
    taken, why = claims.claim(db, run.transcription_id, source, "evt-next", 600, NOW)
    assert taken is not None and taken.attempt == (1 if newer else 2), why
    doc = ref.get().to_dict() or {}
    assert not {"asked_enrichments", "enrichments", "chapters", "summary"} & set(doc)
    assert doc["run"] == {"generation": generation, "attempt": taken.attempt}
