"""Pure units of the watchdog: a dead letter read, what is stalled, the re-drive message."""

from __future__ import annotations

import base64
import datetime as dt
import json

from functions.watch import dead_letter, redrive
from functions.watch.sweep import stalled

TID = "0123456789abcdef0123456789abcdef"
NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def message(body: bytes, **attributes: str) -> dead_letter.Message:
    return dead_letter.Message(data=base64.b64encode(body).decode(), attributes=attributes)


def test_a_dead_letter_names_its_run_by_attributes_or_else_by_body() -> None:
    by_attributes = message(b"garbage", transcription_id=TID, generation="17", attempt="2", seq="4")
    lost = dead_letter.lost_chunk(by_attributes)
    assert lost is not None and (lost.run.generation, lost.run.attempt, lost.seq) == ("17", 2, 4)
    assert "results chunk 4 of run 17/2" in lost.reason
    body = {"transcription_id": TID, "generation": "18", "attempt": 1, "seq": 0, "state": {}}
    lost = dead_letter.lost_chunk(message(json.dumps(body).encode()))
    assert lost is not None and (lost.run.generation, lost.seq) == ("18", 0)


def test_a_dead_lettered_continuation_says_so() -> None:
    attributes = {"transcription_id": TID, "generation": "17", "attempt": "1", "task": "continue"}
    lost = dead_letter.lost_chunk(message(b"{}", **attributes))
    assert lost is not None and lost.seq is None and lost.clip is None
    assert lost.reason.startswith("the continuation of its cut-off output could not be run")


def test_a_dead_letter_that_names_no_valid_run_is_none() -> None:
    assert dead_letter.lost_chunk(message(b'{"not": "a chunk"}')) is None
    assert dead_letter.lost_chunk(message(b"x", transcription_id=TID, generation="17")) is None
    bad_id = message(b"x", transcription_id="../etc", generation="17", attempt="1")
    assert dead_letter.lost_chunk(bad_id) is None
    bad_gen = message(b"x", transcription_id=TID, generation="abc", attempt="1")
    assert dead_letter.lost_chunk(bad_gen) is None
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
