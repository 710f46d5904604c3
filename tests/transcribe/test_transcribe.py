"""Function A end to end, through functions-framework, against the Cloud Storage, Pub/Sub and
Firestore emulators and the Gemini API stand-in (real google-genai SDK): the request's naming of
the media and its mode-only settings in both SDK modes, the rest in one (conftest.py)."""

from __future__ import annotations

import mimetypes
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.core import clients
from functions.core.catalog import catalog
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.format.parser import StreamParser, parse_text
from tests.paths import ROOT
from tests.store.support import model_output
from tests.transcribe.conftest import BOTH_MODES, Stack, media_bytes, transcription_doc

pytestmark = pytest.mark.emulator

TRAILER = (ROOT / "tests" / "data" / "trailer.tsv.txt").read_text()


def _text(chunks: list[ResultChunk], attempt: int | None = None) -> str:
    last = attempt or max(c.attempt for c in chunks)
    return "".join(c.text or "" for c in chunks if c.attempt == last)


@BOTH_MODES
def test_upload_is_transcribed_and_streamed_in_order(stack: Stack) -> None:
    blob = stack.upload("clip.mp4", "uploads/alice/trailer.mp4", "video/mp4", {"title": "Trailer"})
    stack.stand_in.register(TRAILER, duration_s=2.5, has_video=True, media=media_bytes("clip.mp4"))
    assert stack.deliver(blob) == 200

    chunks = stack.results()
    assert [c.seq for c in chunks] == list(range(len(chunks))) and len(chunks) >= 4
    assert chunks[-1].final and chunks[-1].outcome == "completed"
    assert chunks[-1].finish_reason == "STOP" and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens > 0 and chunks[-1].usage.output_tokens > 0
    assert _text(chunks) == TRAILER
    for chunk in chunks[:-1]:  # each chunk parses alone from its recorded state
        assert StreamParser(state=chunk.state).feed(chunk.text or "")
    (call,) = stack.model_calls()
    assert call["mime_type"] == "video/mp4" and call["status"] == 200
    # the server's deadline trails the budget, so our own budget check ends a long stream first
    assert int(call["server_timeout"]) > get_settings().time_budget_s
    if stack.mode == "vertex":
        assert call["file_uri"] == f"gs://{blob.bucket.name}/{blob.name}"
    else:
        assert call["file_uri"].startswith("https://") and "/files/" in call["file_uri"]
    doc = transcription_doc(blob)
    assert doc["owner"] == "alice" and doc["status"] == "processing"  # the store finishes it
    assert doc["run"] == {"generation": str(blob.generation), "attempt": 1}
    assert list(doc["finished_runs"]) == [f"g{blob.generation}a1"]
    assert doc["duration_ms"] == pytest.approx(2500, abs=150) and doc["has_video"] is True
    plan = doc["plan"]  # the catalog's default, a Gemini 3 model
    assert plan["model"] == catalog().default and plan["media_resolution"] == "high"
    assert plan["seed"] is None and plan["thinking_level"] == "LOW"
    assert plan["location"] == ("global" if stack.mode == "vertex" else None)
    assert "mediaResolution" not in call["generation_config"]  # Gemini 3: on the media part
    assert call["media"][0]["resolution"] == "MEDIA_RESOLUTION_HIGH"
    assert call.get("location") == ("global" if stack.mode == "vertex" else None)


def test_duplicate_events_call_the_model_once(stack: Stack) -> None:
    blob = stack.upload("voice.m4a", "uploads/bob/call.m4a", "audio/mp4")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.m4a"))
    assert stack.deliver(blob, event_id="evt-1") == 200
    assert stack.deliver(blob, event_id="evt-1") == 200  # redelivery of the same event
    assert stack.deliver(blob, event_id="evt-2") == 200  # a duplicate with another id
    assert len(stack.model_calls()) == 1
    assert [c.final for c in stack.results()].count(True) == 1


def test_overwrite_starts_a_new_generation(stack: Stack) -> None:
    first = stack.upload("voice.m4a", "uploads/bob/memo.m4a", "audio/mp4")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.m4a"))
    assert stack.deliver(first) == 200
    second = stack.upload("voice.mp3", "uploads/bob/memo.m4a", "audio/mpeg")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.mp3"))
    assert stack.deliver(second) == 200
    assert stack.deliver(first) == 200  # a late duplicate of the old generation: stale
    finals = [c for c in stack.results(expect_final=2) if c.final]
    assert [f.generation for f in finals] == sorted([str(first.generation), str(second.generation)])
    assert len(stack.model_calls()) == 2
    assert transcription_doc(second)["run"]["generation"] == str(second.generation)
    assert transcription_doc(second)["source"]["content_type"] == "audio/mpeg"


@pytest.mark.parametrize(
    ("local", "content_type", "reason"),
    [
        ("notes.txt", "video/mp4", "unrecognised header"),
        ("clip.mkv", "video/x-matroska", "Matroska"),
    ],
)
def test_non_media_is_rejected_without_a_model_call(
    stack: Stack, local: str, content_type: str, reason: str
) -> None:
    blob = stack.upload(local, f"uploads/carol/{local}", content_type)
    assert stack.deliver(blob) == 200
    (final,) = stack.results()
    assert final.final and final.outcome == "rejected" and reason in (final.reason or "")
    assert stack.model_calls() == []


def test_empty_file_and_bad_overrides_are_rejected(stack: Stack) -> None:
    empty = stack.bucket.blob("uploads/carol/empty.mp4")
    empty.upload_from_string(b"", content_type="video/mp4")
    assert stack.deliver(stack.bucket.get_blob(empty.name)) == 200
    bad = stack.upload("clip.mp4", "uploads/carol/bad.mp4", "video/mp4", {"fps": "60"})
    assert stack.deliver(bad) == 200
    reasons = sorted(c.reason or "" for c in stack.results(expect_final=2))
    assert "empty" in reasons[1] and "fps" in reasons[0]
    assert stack.model_calls() == []


def test_an_unknown_translation_language_is_rejected_naming_it_before_any_call(
    stack: Stack,
) -> None:
    metadata = {"translate": "fr,klingon", "chapters": "true"}
    blob = stack.upload("clip.mp4", "uploads/carol/talk.mp4", "video/mp4", metadata)
    assert stack.deliver(blob) == 200
    (final,) = stack.results()
    assert final.outcome == "rejected"
    assert "translate: 'klingon' is not a language code Gemini supports" in (final.reason or "")
    assert stack.model_calls() == []


def test_the_enrichments_asked_are_recorded_with_the_run(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABSCRIBE_TRANSLATE", '["es"]')  # the upload's metadata decides first
    get_settings.cache_clear()
    asked = stack.upload(
        "clip.mp4", "uploads/dan/a.mp4", "video/mp4", {"translate": "fr, de", "chapters": "true"}
    )
    default = stack.upload("clip.mp4", "uploads/dan/b.mp4", "video/mp4")
    stack.stand_in.register(TRAILER, duration_s=2.5, has_video=True, media=media_bytes("clip.mp4"))
    for blob in (asked, default):
        assert stack.deliver(blob) == 200
    assert transcription_doc(asked)["asked_enrichments"] == [
        "chapters",
        "translation_de",
        "translation_fr",
    ]
    assert transcription_doc(default)["asked_enrichments"] == ["translation_es"]


def test_the_header_decides_over_a_generic_declared_type(stack: Stack) -> None:
    blob = stack.upload("clip.webm", "uploads/ann/screen", "application/octet-stream")
    stack.stand_in.register(TRAILER, duration_s=2.5, has_video=True, media=media_bytes("clip.webm"))
    assert stack.deliver(blob) == 200
    assert stack.results()[-1].outcome == "completed"
    (call,) = stack.model_calls()
    assert call["mime_type"] == "video/webm"  # what Gemini is told comes from the header
    media = transcription_doc(blob)["media"]
    assert media["declared_type"] == "application/octet-stream"
    assert media["mime_type"] == "video/webm" and media["container"] == "WebM"


def test_outside_the_input_prefix_is_ignored(stack: Stack) -> None:
    blob = stack.upload("clip.mp4", "results/x/clip.mp4", "video/mp4")
    assert stack.deliver(blob) == 200
    assert stack.results(expect_final=1, timeout=2) == []
    assert transcription_doc(blob) == {}


def test_an_upload_without_an_owner_is_rejected_before_any_model_call(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = stack.upload("voice.mp3", "uploads/orphan.mp3", "audio/mpeg")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.mp3"))
    assert stack.deliver(blob) == 200
    (final,) = stack.results()
    assert final.outcome == "rejected" and "no owner" in (final.reason or "")
    assert stack.model_calls() == []
    monkeypatch.setenv("TABSCRIBE_OWNERLESS_UPLOADS", "transcribe")  # server-side readers
    get_settings.cache_clear()
    again = stack.upload("voice.mp3", "uploads/orphan.mp3", "audio/mpeg")
    assert stack.deliver(again) == 200
    assert stack.results()[-1].outcome == "completed" and len(stack.model_calls()) == 1
    assert transcription_doc(again)["owner"] is None


def test_stale_event_is_failed_not_retried(stack: Stack) -> None:
    blob = stack.upload("clip.mp4", "uploads/dan/old.mp4", "video/mp4")
    assert stack.deliver(blob, age_s=2 * 24 * 3600) == 200
    (final,) = stack.results()
    assert final.outcome == "failed" and "stale" in (final.reason or "")
    assert stack.model_calls() == []


@BOTH_MODES
def test_overrides_reach_the_request(stack: Stack) -> None:
    metadata = {"model": "gemini-3.1-pro-preview", "media_resolution": "low", "fps": "2"}
    blob = stack.upload("clip.mp4", "uploads/erin/talk.mp4", "video/mp4", metadata)
    stack.stand_in.register(TRAILER, duration_s=2.5, has_video=True, media=media_bytes("clip.mp4"))
    assert stack.deliver(blob) == 200
    assert stack.results()[-1].outcome == "completed"
    (call,) = stack.model_calls()
    config = call["generation_config"]
    assert call["model"] == "gemini-3.1-pro-preview"
    assert (
        "mediaResolution" not in config
        and transcription_doc(blob)["plan"]["media_resolution"] == "low"
    )
    thinking = {k.replace("_", "").lower(): v for k, v in config["thinkingConfig"].items()}
    assert thinking == {"thinkinglevel": "LOW"}  # never a budget beside the level
    assert call["media"][0]["resolution"] == "MEDIA_RESOLUTION_LOW" and call["media"][0]["fps"] == 2
    assert "temperature" not in config and "seed" not in config  # Gemini 3 keeps its defaults


@BOTH_MODES
def test_audio_offsets_go_in_audio_metadata_with_timestamps_on_vertex(stack: Stack) -> None:
    metadata = {"start": "0.5", "end": "2"}
    blob = stack.upload("voice.flac", "uploads/erin/cut.flac", "audio/flac", metadata)
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.flac"))
    assert stack.deliver(blob) == 200
    assert stack.results()[-1].outcome == "completed"
    (call,) = stack.model_calls()
    media = call["media"][0]
    assert media["offsets_in"] == "audio_metadata" and (media["start_s"], media["end_s"]) == (
        0.5,
        2,
    )
    assert media["resolution"] is None  # no frames to resolve
    timestamps = call["generation_config"].get("audioTimestamp")
    assert timestamps is (True if stack.mode == "vertex" else None)  # the SDK refuses it elsewhere


def test_usage_carries_per_modality_and_cached_tokens(stack: Stack) -> None:
    blob = stack.upload("clip.mp4", "uploads/lea/usage.mp4", "video/mp4")
    stack.stand_in.register(TRAILER, duration_s=2.5, has_video=True, media=media_bytes("clip.mp4"))
    assert stack.deliver(blob) == 200
    usage = stack.results()[-1].usage
    assert usage is not None and usage.cached_tokens == 0
    by_modality = usage.prompt_by_modality
    assert by_modality["VIDEO"] > 0 and by_modality["AUDIO"] > 0 and by_modality["TEXT"] > 0
    assert sum(by_modality.values()) == usage.prompt_tokens


def test_oversize_chunks_go_by_claim_check(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABSCRIBE_MAX_MESSAGE_BYTES", "1024")
    monkeypatch.setenv("TABSCRIBE_FLUSH_ROWS", "100")
    get_settings.cache_clear()
    blob = stack.upload("voice.wav", "uploads/fay/long.wav", "audio/wav")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.wav"))
    assert stack.deliver(blob) == 200
    chunks = stack.results()
    parked = [c for c in chunks if c.text_uri]
    assert parked, "a chunk over 1 KiB must travel by claim check"
    texts = []
    for chunk in chunks:
        if chunk.text_uri:
            bucket, _, name = chunk.text_uri.removeprefix("gs://").partition("/")
            assert name.startswith("results/") and not name.startswith("uploads/")
            texts.append(clients.storage_client().bucket(bucket).blob(name).download_as_text())
        else:
            texts.append(chunk.text or "")
    assert "".join(texts) == TRAILER


FAULTS = [
    # fault, outcome, model calls, finish reason, reason contains
    ({"status": 429, "times": 2, "retry_delay_s": 0.05}, "completed", 3, "STOP", None),
    ({"status": 500, "times": 1}, "completed", 2, "STOP", None),
    ({"status": 503, "times": 1}, "completed", 2, "STOP", None),
    ({"status": 504, "times": 1}, "completed", 2, "STOP", None),
    ({"error_after_chars": 700, "error_status": 503, "times": 1}, "completed", 2, "STOP", None),
    ({"drop_after_chars": 700, "times": 1}, "completed", 2, "STOP", None),
    ({"garbled_after_chars": 700, "times": 1}, "completed", 2, "STOP", None),
    ({"max_tokens_after_chars": 500, "times": 1}, "completed", 1, "MAX_TOKENS", "output token"),
    ({"safety_after_chars": 200, "times": 1}, "blocked", 1, None, "SAFETY"),
    ({"prompt_block": "SAFETY", "times": 1}, "blocked", 1, None, "prompt was blocked"),
    ({"status": 400, "times": 1}, "failed", 1, None, "400"),
    ({"status": 404, "times": 1}, "failed", 1, None, "set TABSCRIBE_MODEL"),
    ({"malformed": True, "times": 1}, "completed", 1, "STOP", None),
]


@pytest.mark.parametrize(("fault", "outcome", "calls", "finish", "reason"), FAULTS)
def test_fault_matrix(
    stack: Stack,
    fault: dict[str, Any],
    outcome: str,
    calls: int,
    finish: str | None,
    reason: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("functions.transcribe.call.MAX_BACKOFF_S", 0.05)
    blob = stack.upload("voice.flac", "uploads/gus/fault.flac", "audio/flac")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.flac"))
    stack.stand_in.configure(faults=[fault])
    assert stack.deliver(blob) == 200
    chunks = stack.results()
    final = chunks[-1]
    assert final.final and final.outcome == outcome
    assert len(stack.model_calls()) == calls and final.attempt == calls
    if finish:
        assert final.finish_reason == finish
    if reason:
        assert reason in (final.reason or "")
    if outcome == "completed" and finish == "STOP" and "malformed" not in fault:
        assert _text(chunks) == TRAILER  # the run that completed is whole
    if {"error_after_chars", "drop_after_chars", "garbled_after_chars"} & fault.keys():
        assert any(c.attempt == 1 for c in chunks), "the broken attempt had published rows"


def test_a_429_waits_as_long_as_its_retry_info_says(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("functions.transcribe.call.MAX_BACKOFF_S", 0.05)  # jitter alone: tiny
    blob = stack.upload("voice.flac", "uploads/gus/quota.flac", "audio/flac")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.flac"))
    stack.stand_in.configure(faults=[{"status": 429, "times": 1, "retry_delay_s": 1.5}])
    started = time.monotonic()
    assert stack.deliver(blob) == 200
    assert time.monotonic() - started >= 1.5
    assert stack.results()[-1].outcome == "completed" and len(stack.model_calls()) == 2


def test_a_per_day_quota_goes_back_to_the_platform_at_once(stack: Stack) -> None:
    blob = stack.upload("voice.flac", "uploads/gus/daily.flac", "audio/flac")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.flac"))
    stack.stand_in.configure(faults=[{"status": 429, "times": 1, "quota": "day"}])
    assert stack.deliver(blob, event_id="evt-daily") == 500  # no in-process retry
    assert len(stack.model_calls()) == 1 and stack.results(timeout=2) == []
    assert "per-day quota" in transcription_doc(blob)["last_error"]
    assert stack.deliver(blob, event_id="evt-daily") == 200  # the lease was released
    final = stack.results()[-1]
    assert final.outcome == "completed" and final.attempt == 2


def _with_budget(
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    budget_s: float,
    local: str,
    name: str,
    fault: dict[str, Any],
) -> Any:
    """Upload `local` as `name` under a time budget of `budget_s`, with `fault` on every call."""
    monkeypatch.setenv("TABSCRIBE_TIME_BUDGET_S", str(budget_s))
    get_settings.cache_clear()
    blob = stack.upload(local, name, mimetypes.guess_type(local)[0] or "")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes(local))
    stack.stand_in.configure(faults=[fault])
    return blob


def test_transient_failure_past_the_budget_raises_for_a_platform_retry(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = _with_budget(stack, monkeypatch, 5, "voice.ogg", "uploads/hal/busy.ogg", {"status": 503})
    assert stack.deliver(blob, event_id="evt-busy") == 500  # functions-framework: retry me
    assert stack.results(timeout=2) == []
    stack.stand_in.configure(faults=[])
    assert stack.deliver(blob, event_id="evt-busy") == 200  # the platform's retry takes over
    final = stack.results()[-1]
    assert final.outcome == "completed" and final.attempt == 2


def test_a_stalled_first_byte_is_bounded_by_the_budget(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("functions.transcribe.call.MIN_CALL_S", 0.5)
    stalled = {"first_byte_delay_s": 6}
    blob = _with_budget(stack, monkeypatch, 2, "voice.ogg", "uploads/ida/stalled.ogg", stalled)
    started = time.monotonic()
    assert stack.deliver(blob, event_id="evt-stalled") == 500  # timed out: the platform retries
    assert time.monotonic() - started < 5
    assert stack.results(timeout=2) == []


def test_a_stream_outlasting_the_budget_keeps_what_was_written(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = {"token_rate": 100}  # about 4 s for the whole answer
    blob = _with_budget(stack, monkeypatch, 2, "voice.mp3", "uploads/jo/slow.mp3", slow)
    assert stack.deliver(blob) == 200
    chunks = stack.results()
    final = chunks[-1]
    assert final.outcome == "completed" and final.finish_reason == "TIME_BUDGET"
    assert "time budget" in (final.reason or "") and len(stack.model_calls()) == 1
    assert 0 < len(_text(chunks)) < len(TRAILER) and TRAILER.startswith(_text(chunks))


def test_a_late_attempt_cut_by_the_budget_is_retried_by_the_platform(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("functions.transcribe.call.MIN_CALL_S", 0.5)
    monkeypatch.setattr("functions.transcribe.call.MAX_BACKOFF_S", 0.05)
    slow_failure = {"status": 503, "first_byte_delay_s": 3.5, "times": 1}
    blob = _with_budget(stack, monkeypatch, 10, "voice.mp3", "uploads/kai/late.mp3", slow_failure)
    # the retry starts 3.5-6 s into a 10 s budget (developer mode uploads first) and would need
    # 9 s more
    stack.stand_in.configure(faults=[slow_failure, {"token_rate": 40, "times": 1}])
    assert stack.deliver(blob, event_id="evt-late") == 500  # not a cut-off "completed"
    assert len(stack.model_calls()) == 2
    assert not any(chunk.final for chunk in stack.results(expect_final=1, timeout=3))


# -- one model call per run, and nothing left in processing (the lease, its heartbeat) -------


def test_fifty_concurrent_deliveries_of_one_event_call_the_model_once(stack: Stack) -> None:
    blob = stack.upload("voice.mp3", "uploads/max/storm.mp3", "audio/mpeg")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.mp3"))
    stack.stand_in.configure(faults=[{"token_rate": 400}])  # about 1 s of streaming
    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(lambda _: stack.deliver(blob, event_id="evt-storm"), range(50)))
    assert len(stack.model_calls()) <= 1
    # The platform redelivers what failed (busy, or a claim that lost to contention) until one
    # delivery is answered 200: the run itself, or a duplicate of its finished run.
    deadline = time.monotonic() + 30
    while 500 in codes and stack.deliver(blob, event_id="evt-storm") != 200:
        assert time.monotonic() < deadline, "no redelivery answered 200 in 30 s"
        time.sleep(0.1)
    assert len(stack.model_calls()) == 1
    finals = [c for c in stack.results() if c.final]
    assert len(finals) == 1 and finals[0].outcome == "completed"
    assert stack.deliver(blob, event_id="evt-storm") == 200  # once finished: a plain duplicate
    assert len(stack.model_calls()) == 1


def test_a_live_lease_sends_its_own_event_back_to_the_platform(stack: Stack) -> None:
    blob = stack.upload("voice.mp3", "uploads/max/busy.mp3", "audio/mpeg")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.mp3"))
    stack.stand_in.configure(faults=[{"token_rate": 100}])  # about 4 s of streaming
    with ThreadPoolExecutor(max_workers=1) as pool:
        holder = pool.submit(stack.deliver, blob, "evt-held")
        _wait_for_a_call(stack)
        assert stack.deliver(blob, event_id="evt-held") == 500  # the platform retries later
        assert stack.deliver(blob, event_id="evt-other") == 200  # another event: ignored
        assert holder.result() == 200
    assert len(stack.model_calls()) == 1


def test_an_overwritten_run_stops_streaming_at_its_next_flush(stack: Stack) -> None:
    first = stack.upload("voice.mp3", "uploads/max/memo.mp3", "audio/mpeg")
    stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.mp3"))
    stack.stand_in.configure(faults=[{"token_rate": 50, "times": 1}])  # about 8 s
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        old_run = pool.submit(stack.deliver, first, "evt-old")
        _wait_for_a_call(stack)
        second = stack.upload("voice.wav", "uploads/max/memo.mp3", "audio/wav")
        stack.stand_in.register(TRAILER, duration_s=2.5, media=media_bytes("voice.wav"))
        assert stack.deliver(second, event_id="evt-new") == 200
        assert old_run.result() == 200
    assert time.monotonic() - started < 7  # it did not stream to the end
    chunks = stack.results()
    old = [c for c in chunks if c.generation == str(first.generation)]
    assert not any(c.final for c in old), "a superseded run publishes no outcome"
    assert len("".join(c.text or "" for c in old)) < len(TRAILER)
    assert [c.outcome for c in chunks if c.final] == ["completed"]


def test_a_deleted_object_ends_failed(stack: Stack) -> None:
    blob = stack.upload("voice.mp3", "uploads/max/gone.mp3", "audio/mpeg")
    blob.delete()
    assert stack.deliver(blob) == 200
    (final,) = stack.results()
    assert final.outcome == "failed" and "deleted before it could be read" in (final.reason or "")
    assert stack.model_calls() == []


def test_a_huge_metadata_value_ends_rejected_with_a_capped_reason(stack: Stack) -> None:
    blob = stack.upload("voice.mp3", "uploads/max/long.mp3", "audio/mpeg", {"model": "m" * 3000})
    assert stack.deliver(blob) == 200
    (final,) = stack.results()
    assert final.outcome == "rejected" and len(final.reason or "") <= 1000
    assert (final.reason or "").startswith("metadata model=")


def test_a_first_byte_that_never_comes_ends_failed_after_the_attempts_allowed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("functions.transcribe.call.MIN_CALL_S", 0.5)
    monkeypatch.setenv("TABSCRIBE_MAX_ATTEMPTS", "2")
    stalled = {"first_byte_delay_s": 4}
    blob = _with_budget(stack, monkeypatch, 2, "voice.ogg", "uploads/max/never.ogg", stalled)
    assert stack.deliver(blob, event_id="evt-never") == 500  # attempt 1: the platform retries
    assert stack.deliver(blob, event_id="evt-never") == 200  # attempt 2: the last allowed
    (final,) = stack.results()
    assert final.outcome == "failed" and final.attempt == 2
    assert (final.reason or "").startswith("gave up after 2 attempts; the last:")
    assert stack.deliver(blob, event_id="evt-never") == 200  # a later retry: a duplicate
    assert len(stack.model_calls()) == 2


def _wait_for_a_call(stack: Stack, timeout: float = 10) -> None:
    """Until the model's answer has started streaming."""
    deadline = time.monotonic() + timeout
    while not any(call.get("chars_sent") for call in stack.model_calls()):
        assert time.monotonic() < deadline, "the model's answer never started"
        time.sleep(0.05)


@pytest.mark.parametrize("cycle", [1, 2])
def test_a_repetition_loop_is_stopped_and_its_repeats_never_published(
    stack: Stack, cycle: int
) -> None:
    """The stand-in repeats row 50 (or rows 49 and 50, A, B, A, B …) to the output limit
    (65,536 tokens, minutes at a model's pace); the guard stops the stream within a dozen
    times through and drops the repeats: far within 200 rows."""
    authored = model_output(80, voices=3)
    blob = stack.upload("voice.mp3", "uploads/jo/loop.mp3", "audio/mpeg")
    stack.stand_in.register(authored, duration_s=330, media=media_bytes("voice.mp3"))
    loop = {"loop_from_row": 50, "loop_cycle": cycle, "token_rate": 2000, "times": 1}
    stack.stand_in.configure(faults=[loop])
    started = time.monotonic()
    assert stack.deliver(blob) == 200
    assert time.monotonic() - started < 10  # the loop alone would stream for half a minute
    chunks = stack.results()
    final = chunks[-1]
    assert final.finish_reason == "REPETITION_LOOP" and final.outcome == "completed"
    assert [issue.code for issue in final.issues or []] == ["repetition_loop"]
    rows = parse_text(_text(chunks)).segments
    expected = parse_text(authored).segments[:50]
    assert [(r.start_ms, r.text) for r in rows] == [(r.start_ms, r.text) for r in expected]
    (call,) = stack.model_calls()
    assert call["tokens_planned"] >= 65_000
    deadline = time.monotonic() + 10
    while call.get("error") != "client disconnected" and time.monotonic() < deadline:
        time.sleep(0.2)  # the stand-in sees the hang-up at its next write
        (call,) = stack.model_calls()
    assert call["error"] == "client disconnected" and call["tokens_sent"] < 5_000
    lines = authored.splitlines(keepends=True)
    head = "".join(lines[: lines.index(next(x for x in lines if x.startswith("start"))) + 51])
    two_hundred_rows = len(head) + 150 * max(len(x) for x in lines[-40:])
    assert call["chars_sent"] < two_hundred_rows
    message = final.issues[0].message if final.issues else ""
    assert ("came 12 times in a row" in message) and (cycle == 1 or "cycle of 2 rows" in message)
