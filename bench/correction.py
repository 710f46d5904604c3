"""An owner's correction of a finished 1,000-segment transcript, against the emulators.

The transcript is the store's benchmark's, written by the store's own handler (so the document,
pages and exports are what a real run leaves). Each round times the correction function's work
from the request's check to the exports regenerated and the `updated` event accepted by Pub/Sub:
a merge (every page of the voice read, rewritten, the statistics recounted), its undo, and a
rename (the table and the exports only). `correction.apply_s` is the median merge or undo, the
heavier kinds.
"""

from __future__ import annotations

import statistics
import time

from bench.report import Metric, main
from bench.store_throughput import GENERATION, SEGMENTS, _claim, messages, store_emulators

ROUNDS = 3
OWNER = "b"  # the owner `_claim` records


def _finished(index: int) -> str:
    from functions.core.settings import get_settings
    from functions.store.handler import handle

    tid = f"{index:032x}"
    _claim(tid, GENERATION)
    for data in messages(tid, GENERATION, get_settings().flush_rows):
        handle(data)
    return tid


def _timed(tid: str, body: dict[str, object]) -> float:
    from functions.core.settings import get_settings
    from functions.corrections import ask
    from functions.corrections.apply import correct

    started = time.perf_counter()
    answer = correct(get_settings(), OWNER, ask.parse({"transcription": tid, **body}))
    elapsed = time.perf_counter() - started
    assert answer["exports"], answer  # regenerated
    return elapsed


def _one_round(index: int) -> tuple[float, float, float]:
    tid = _finished(index)
    merge = _timed(tid, {"action": "merge", "voice": 3, "into": 1})
    undo = _timed(tid, {"action": "undo"})
    rename = _timed(tid, {"action": "rename", "voice": 2, "speaker": {"name": "Ada Lovelace"}})
    return merge, undo, rename


def run() -> list[Metric]:
    with store_emulators():
        rounds = [_one_round(i + 1) for i in range(ROUNDS)]
    heavy = [seconds for merge, undo, _ in rounds for seconds in (merge, undo)]
    return [
        Metric(
            "correction.apply_s",
            round(statistics.median(heavy), 3),
            "s",
            f"a merge or its undo on {SEGMENTS} segments → pages, table, exports, event; "
            f"median of {len(heavy)}",
            "<= 3",
        ),
        Metric(
            "correction.rename_s",
            round(statistics.median(r[2] for r in rounds), 3),
            "s",
            f"a rename on {SEGMENTS} segments → table, exports, event; median of {ROUNDS}",
        ),
    ]


if __name__ == "__main__":
    main(run)
