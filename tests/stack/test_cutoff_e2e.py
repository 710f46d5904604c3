"""A run cut by the time budget on the whole local stack (decision 0013): the upload's invocation
stops streaming when its budget is spent, hands the run over, and the continuation goes on in a
new invocation of the clip function, pushed by the clips subscription. The budget is forced short
(4 s) and the stand-in's first answer slow, so the first invocation cannot finish."""

from __future__ import annotations

import pytest

from stack.follow import put
from stack.local import LocalStack
from tests.stack.long_media import SAMPLES, answer, authored, finish, model_calls, rows, standin

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("shared_stack", ["budget-4s"], indirect=True),
]


def test_a_stream_cut_by_the_time_budget_continues_in_a_new_invocation(local: LocalStack) -> None:
    standin(local, "faults", [{"token_rate": 400, "times": 1}])  # about 8 s for the answer
    doc, segments = finish(local, put(SAMPLES / "keynote.mp4", "fay", {}))
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert rows(segments) == authored("keynote")
    names = {s["voice"]: s["name"] for s in doc["speakers"]}
    assert names == {s.voice: s.name for s in answer("keynote").speakers}
    first, *continuations = model_calls(local)
    assert "continuation" not in first and continuations
    assert all("continuation" in call for call in continuations)
    clip_log = (local.logs / "transcribe_clip.log").read_text()
    assert "published" in clip_log  # the keynote is no long media: that was the continuation
    assert doc["timings"]["continuations"] == len(continuations)
