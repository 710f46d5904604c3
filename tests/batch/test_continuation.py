"""A batched answer cut off (decision 0033): the rest goes on in a continuation that is itself a
line of the next batch, spliced exactly as a streamed run's (decision 0013), and the run
completes whole, every row once, every request at the batch price. A continuation the service
fails twice keeps the run's rows, as a streamed one does."""

from __future__ import annotations

import pytest

from functions.core.messages import ContinueTask
from tests.batch.support import batch_env, clean_batches, lines_of, poll_until_settled
from tests.transcribe.test_continuation import ROWS, Continuing, check_whole, continuing, read_run

pytestmark = pytest.mark.emulator
__all__ = ["continuing"]
CUT = {"max_tokens_at_row": 109, "times": 1}  # the first answer stops at row 109


@pytest.fixture(autouse=True)
def _clean(emulators: object) -> None:
    clean_batches()


def cut_in_a_batch(
    continuing: Continuing, monkeypatch: pytest.MonkeyPatch, *faults: dict[str, int]
) -> ContinueTask:
    """The keynote uploaded with `priority=batch` and answered cut off: its continuation task."""
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="1")
    blob = continuing.upload([CUT, *faults])
    blob.metadata = {"priority": "batch"}
    blob.patch()
    assert continuing.stack.deliver(blob) == 200
    poll_until_settled()
    [line] = lines_of()
    assert line["outcome"] == "continued"
    [task] = continuing.tasks()
    assert task.number == 1 and task.cut.point_ms == ROWS[108].start_ms
    assert continuing.run(task) == 200  # its request is added to the next batch
    assert continuing.run(task, "redelivered") == 200  # a duplicate adds nothing
    return task


def test_a_batched_answer_cut_off_goes_on_in_a_batched_continuation(
    continuing: Continuing, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_in_a_batch(continuing, monkeypatch)
    poll_until_settled()
    first_key, going_on_key = sorted(ln["key"] for ln in lines_of())
    assert going_on_key == first_key + "-n1"
    check_whole(continuing.stack.results())
    first, going_on = continuing.stack.model_calls()
    assert first.get("batch") and going_on.get("batch")  # both at the batch price
    assert going_on["continuation"]["start_s"] == (ROWS[108].start_ms - 20_000) // 1000


def test_a_batched_continuation_failed_twice_keeps_the_runs_rows(
    continuing: Continuing, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_in_a_batch(continuing, monkeypatch, {"status": 503, "times": 2})
    poll_until_settled()
    first, going_on, retried = sorted(lines_of(), key=lambda line: str(line["key"]))
    assert going_on["key"] == first["key"] + "-n1" and retried["key"] == going_on["key"] + "-retry"
    assert [ln["outcome"] for ln in (first, going_on, retried)] == [
        "continued",
        "retried",
        "completed",
    ]
    chunks = continuing.stack.results()
    segments, _, _ = read_run(chunks)
    assert [s.start_ms for s in segments] == [r.start_ms for r in ROWS[:109]]  # up to the cut
    final = chunks[-1]
    assert final.final and final.outcome == "completed"
    assert [i.code for i in final.issues or []] == ["continuation_failed"]
    assert "failed its request twice" in (final.issues or [])[0].message
