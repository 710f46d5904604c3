"""Pure units of the watchdog: a dead letter read, what is stalled, the re-drive message."""

from __future__ import annotations

import base64
import datetime as dt

from functions.core.messages import ResultChunk
from functions.watch import dead_letter, redrive
from functions.watch.sweep import stalled

TID = "0123456789abcdef0123456789abcdef"
NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def message(body: bytes, **attributes: str) -> dead_letter.Message:
    return dead_letter.Message(data=base64.b64encode(body).decode(), attributes=attributes)


def chunk(seq: int = 4) -> ResultChunk:
    return ResultChunk(transcription_id=TID, generation="17", attempt=2, seq=seq)


def test_a_dead_letter_names_its_run_by_its_body_which_its_attributes_repeat() -> None:
    body = chunk().model_dump_json().encode()
    lost = dead_letter.lost_chunk(message(body, **chunk().attributes()))
    assert isinstance(lost, dead_letter.LostChunk)
    assert (lost.run.generation, lost.run.attempt, lost.seq) == ("17", 2, 4)
    assert "results chunk 4 of run 17/2" in lost.reason
    bare = dead_letter.lost_chunk(message(body))  # no attributes: the body alone
    assert isinstance(bare, dead_letter.LostChunk) and bare.seq == 4


def test_a_dead_letter_that_is_not_provably_its_runs_is_poison() -> None:
    attributes = chunk().attributes()
    assert dead_letter.lost_chunk(message(b"garbage", **attributes)) == (
        "its body is not a ResultChunk"
    )
    other = chunk(5).model_dump_json().encode()
    assert "differ from its body: seq" in str(dead_letter.lost_chunk(message(other, **attributes)))
    assert "not a ResultChunk or ClipTask" in str(dead_letter.lost_chunk(message(b'{"a": 1}')))
    unknown = dead_letter.lost_chunk(message(b"{}", **attributes, task="summarise"))
    assert unknown == "it says it is a 'summarise' task, which does not exist"
    assert dead_letter.lost_chunk(message(b"{}", **attributes, task="enrich")) == (
        "its body is not a EnrichTask"
    )
    assert dead_letter.handle({"message": {"data": "!!", "messageId": "1"}}) == "poison"
    assert dead_letter.handle({"no": "envelope"}) == "unreadable"


def test_stalled_needs_an_expired_lease_and_no_write_for_stall_s() -> None:
    old, recent = NOW - dt.timedelta(seconds=700), NOW - dt.timedelta(seconds=10)
    expired, live = {"expires_at": NOW}, {"expires_at": NOW + dt.timedelta(seconds=1)}
    assert stalled({"lease": expired, "updated_at": old}, NOW, 600)
    assert not stalled({"lease": live, "updated_at": old}, NOW, 600)
    assert not stalled({"lease": expired, "updated_at": recent}, NOW, 600)
    assert stalled({"updated_at": old}, NOW, 600)  # no lease at all
    assert stalled({"created_at": old}, NOW, 600)


def test_the_redrive_message_round_trips_and_a_bad_one_is_none() -> None:
    data = {"bucket": "b", "name": "uploads/ané/a\nb.mp4", "generation": "17"}
    envelope = {
        "message": {
            "data": base64.b64encode(redrive.encode(data)).decode(),
            "messageId": "42",
            "publishTime": "2026-01-01T00:00:00Z",
        }
    }
    decoded = redrive.decode(envelope)
    assert decoded is not None and decoded.data == data and decoded.event_id == "redrive-42"
    assert decoded.time == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    envelope["message"]["data"] = base64.b64encode(b"[1]").decode()
    assert redrive.decode(envelope) is None
    assert redrive.decode({"message": {"data": "!!", "messageId": "1"}}) is None
