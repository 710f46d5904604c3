"""The transcriber counts every upload against the daily caps before any model call (decision
0019): an object that arrives without the upload function is checked as at signing; a signed
upload's reservation is settled with the probed duration, once per object generation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from functions.core import caps, clients
from functions.core.documents import transcription_id
from functions.core.settings import get_settings
from tests.paths import ROOT
from tests.transcribe.conftest import Stack, media_bytes

pytestmark = pytest.mark.emulator

TRAILER = (ROOT / "tests" / "data" / "trailer.tsv.txt").read_text()
CLIP_S = 2.5  # clip.mp4


def counters(uid: str) -> dict[str, Any]:
    day = dt.datetime.now(dt.UTC).date().isoformat()
    usage = clients.firestore_client().collection(caps.USAGE).document(day)
    return usage.collection(caps.USERS).document(uid).get().to_dict() or {}


def cap_hours(monkeypatch: pytest.MonkeyPatch, hours: float) -> None:
    monkeypatch.setenv("TABSCRIBE_CAP_USER_MEDIA_H", str(hours))
    get_settings.cache_clear()


def test_an_object_from_a_user_over_a_cap_is_rejected_without_a_model_call(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    cap_hours(monkeypatch, 0.0005)  # 1.8 s: the first clip is admitted, and crosses it
    stack.stand_in.register(
        TRAILER, duration_s=CLIP_S, has_video=True, media=media_bytes("clip.mp4")
    )
    first = stack.upload("clip.mp4", f"uploads/u-{unique}/a.mp4", "video/mp4")
    assert stack.deliver(first) == 200
    assert stack.results()[-1].outcome == "completed" and len(stack.model_calls()) == 1
    assert counters(f"u-{unique}")["media_s"] == pytest.approx(CLIP_S, abs=0.15)

    anyway = stack.upload("clip.mp4", f"uploads/u-{unique}/b.mp4", "video/mp4")
    assert stack.deliver(anyway) == 200
    (final,) = stack.results()
    assert final.final and final.outcome == "rejected"
    assert "TABSCRIBE_CAP_USER_MEDIA_H" in (final.reason or "") and "resets at" in (
        final.reason or ""
    )
    assert len(stack.model_calls()) == 1  # the first upload's call only
    assert counters(f"u-{unique}")["uploads"] == 1  # the rejected object counts nothing
    # another user still gets through
    other = stack.upload("clip.mp4", f"uploads/v-{unique}/a.mp4", "video/mp4")
    assert stack.deliver(other) == 200
    assert stack.results()[-1].outcome == "completed" and len(stack.model_calls()) == 2


def test_a_signed_upload_s_reservation_is_settled_once_with_the_probed_duration(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    cap_hours(monkeypatch, 0.1)
    uid, name = f"s-{unique}", f"uploads/s-{unique}/a.mp4"
    db, now = clients.firestore_client(), dt.datetime.now(dt.UTC)
    declared = caps.estimate(get_settings().model, 600, True, now.date())
    tid = transcription_id(stack.bucket.name, name)
    caps.reserve(db, get_settings(), tid, uid, declared, now)  # as the upload function does
    assert counters(uid)["media_s"] == 600  # over the cap of 360 s: admitted when signed
    stack.stand_in.register(
        TRAILER, duration_s=CLIP_S, has_video=True, media=media_bytes("clip.mp4")
    )

    blob = stack.upload("clip.mp4", name, "video/mp4")
    assert stack.deliver(blob, event_id="e1") == 200
    assert stack.results()[-1].outcome == "completed" and len(stack.model_calls()) == 1
    settled = counters(uid)
    assert settled["media_s"] == pytest.approx(CLIP_S, abs=0.15) and settled["uploads"] == 1
    assert settled["cost_usd"] < declared.cost_usd / 100
    entry = clients.firestore_client().collection(caps.UPLOADS).document(tid).get().to_dict()
    assert entry is not None and entry["state"] == "counted"
    assert entry["generation"] == str(blob.generation) and entry["reserved"]["media_s"] == 600
    assert stack.deliver(blob, event_id="e2") == 200  # a duplicate: neither called nor counted
    assert counters(uid) == settled and len(stack.model_calls()) == 1

    again = stack.upload("clip.mp4", name, "video/mp4")  # an overwrite is a new transcription
    assert stack.deliver(again) == 200
    assert stack.results()[-1].outcome == "completed"
    assert counters(uid)["media_s"] == pytest.approx(2 * CLIP_S, abs=0.3)
    assert counters(uid)["uploads"] == 2
    entry = clients.firestore_client().collection(caps.UPLOADS).document(tid).get().to_dict()
    assert entry is not None and entry["generation"] == str(again.generation)
    assert entry["reserved"] is None  # this generation was written without the function
