"""A batched answer cut off (decision 0032): the rest goes on as a standard continuation, exactly
as a streamed run's (decision 0013), and the run completes whole, every row once."""

from __future__ import annotations

import pytest

from tests.batch.support import batch_env, clean_batches, lines_of, poll_until_settled
from tests.transcribe.test_continuation import ROWS, Continuing, check_whole, continuing

pytestmark = pytest.mark.emulator
__all__ = ["continuing"]


@pytest.fixture(autouse=True)
def _clean(emulators: object) -> None:
    clean_batches()


def test_a_batched_answer_cut_off_goes_on_in_a_standard_continuation(
    continuing: Continuing, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="1")
    blob = continuing.upload([{"max_tokens_at_row": 109, "times": 1}])
    blob.metadata = {"priority": "batch"}
    blob.patch()
    assert continuing.stack.deliver(blob) == 200
    poll_until_settled()
    [line] = lines_of()
    assert line["outcome"] == "continued"
    [task] = continuing.tasks()
    assert task.number == 1 and task.cut.point_ms == ROWS[108].start_ms
    assert continuing.run(task) == 200
    check_whole(continuing.stack.results())
    batched, standard = continuing.stack.model_calls()
    assert batched.get("batch") and not standard.get("batch")  # the continuation is standard
    assert standard["continuation"]["start_s"] == (ROWS[108].start_ms - 20_000) // 1000
