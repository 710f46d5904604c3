"""Long media on the whole local stack (decision 0010): the upload fans out into clips, each
transcribed by `transcribe_clip` through the push subscription, merged by the store into the
layout apps read. On the short-clips stack (tests/conftest.py) clips are forced short (2 minutes,
10 s overlap) so the bundled keynote is clipped too; on the default stack the default plan (a
120 s first clip, then 600 s clips, 20 s overlap, above 900 s) cuts the 100-minute conference
into 12 and the 3-hour radio night into 20. Voices the overlaps and names cannot join are joined
by the voices pass, so each authored voice is one voice of the merged transcript."""

from __future__ import annotations

import pytest

from stack.follow import put
from stack.local import LocalStack
from tests.stack.long_media import (
    SAMPLES,
    answer,
    authored,
    findable_names,
    finish,
    model_calls,
    rows,
)

pytestmark = pytest.mark.emulator


@pytest.mark.parametrize("shared_stack", ["short-clips"], indirect=True)
@pytest.mark.parametrize(
    ("sample", "response", "clips"),
    [("keynote.mp4", "keynote", 6), ("conference.webm", "conference", 55)],
)
def test_long_media_completes_with_every_authored_row_once_in_order(
    local: LocalStack, sample: str, response: str, clips: int
) -> None:
    check_long_media(local, sample, response, clips)


@pytest.mark.parametrize(
    ("sample", "response", "clips"),
    [("conference.webm", "conference", 12), ("radio.ogg", "radio", 20)],
)
def test_the_long_samples_in_the_default_plan_complete_with_every_row_once_in_order(
    local: LocalStack, sample: str, response: str, clips: int
) -> None:
    check_long_media(local, sample, response, clips)


def check_long_media(local: LocalStack, sample: str, response: str, clips: int) -> None:
    # an owner per sample: the long samples are hours of media, past one user's daily caps
    doc, segments = finish(local, put(SAMPLES / sample, f"alice-{response}", {}))
    assert doc["status"] == "completed" and doc["complete"] is True, doc.get("reason")
    assert doc["clips"]["count"] == clips and doc["progress"]["clips_done"] == clips
    assert rows(segments) == authored(response)
    assert doc["progress"]["fraction"] == 1.0 and doc["usage"]["prompt_tokens"] > 0
    named = {s["name"] for s in doc["speakers"] if s["name"]}
    assert named == findable_names(response, doc["clips"]["ranges"])
    people = {
        (row.voice, s["voice"]) for row, s in zip(answer(response).rows, segments, strict=True)
    }
    assert len(people) == len({a for a, _ in people}) == len({m for _, m in people})  # one each
    assert "voice_unconfirmed" not in {issue["code"] for issue in doc["issues"]}
    calls = model_calls(local)  # every request one media part: a clip, or the voices pass's reel
    assert {len(call["media"]) for call in calls} == {1}
    asked = (doc["clips"].get("voices") or {}).get("asked")
    assert not asked or any(call.get("voices") == asked for call in calls)
