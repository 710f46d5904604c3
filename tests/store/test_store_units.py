"""Pure parts of the store: chunker, run bookkeeping, cost, exports, envelope, entry point."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from datetime import timedelta
from typing import Any

import pytest
import srt
import webvtt
from functions_framework import create_app

from functions.core import envelope
from functions.core.catalog import Price, catalog
from functions.core.messages import ResultChunk, Usage
from functions.core.settings import catalog_prices, get_settings
from functions.format.models import Event, Segment, Speaker
from functions.store import exports, state
from functions.store.cost import estimate_cost, price_of
from tests.paths import ROOT
from tests.store.support import push_body

TID = "0" * 32


# -- run bookkeeping ---------------------------------------------------------------------------


def _segment(start: int, voice: int | None, text: str = "hello") -> Segment:
    return Segment(start_ms=start, voice=voice, text=text)


def test_pages_close_at_the_segment_cap_and_the_byte_cap() -> None:
    run = state.RunState.fresh(state.Run(generation="1", attempt=1))
    pages = run.add([_segment(i, 1) for i in range(450)], [])
    assert [len(p.segments) for p in pages] == [200, 200] and len(run.live) == 50
    big = "x" * 4_000
    pages = run.add([_segment(1000 + i, 1, big) for i in range(200)], [])
    size = state.SEGMENT_OVERHEAD
    assert all(sum(len(s["text"]) + size for s in p.segments) <= state.PAGE_BYTES for p in pages)
    assert [p.index for p in pages] == [2, 3, 4] and len(pages[1].segments) == 61
    assert sum(len(p.segments) for p in pages) + len(run.live) == 250


def test_statistics_speakers_and_capped_issues() -> None:
    run = state.RunState.fresh(state.Run(generation="1", attempt=1))
    run.add([_segment(0, 1), _segment(3000, 2), _segment(5000, 1), _segment(4000, None)], [])
    run.add([Speaker(voice=1, name="Ada"), Speaker(voice=1, name="Bob"), Speaker(voice=3)], [])
    from functions.format.models import Issue

    run.add_issues([Issue(code="noise", message="x")] * 60)
    run.finish(duration_ms=10_000)
    entries = {e["voice"]: e for e in run.speaker_entries()}
    assert entries[1]["name"] == "Ada" and entries[1]["segments"] == 2
    assert entries[1]["talk_ms"] == 3000 + 0 and entries[2]["talk_ms"] == 2000
    assert entries[2]["placeholder"] is True and entries[3]["segments"] == 0
    codes = [i.code for i in run.issues]
    assert codes[0] == "duplicate_speaker" and len(run.issues) == state.MAX_ISSUES
    assert run.cursor.issues_total == 1 + 60 + 2  # + unknown_voice 2, silent_speaker 3
    fields = run.fields(10_000)
    assert fields["live_page"] is None and fields["counts"]["pages"] == 1


# -- cost --------------------------------------------------------------------------------------


def test_cost_uses_the_longest_model_prefix_and_audio_rate() -> None:
    prices = {**catalog_prices(), "gemini-3": (Price(input=9, input_audio=9, output=9),)}
    today = dt.date.today()
    assert price_of("gemini-3-flash-preview-001", prices, today)[0] == "gemini-3-flash-preview"  # type: ignore[index]
    assert price_of("gemini-3.50-flash", prices, today)[0] == "gemini-3"  # type: ignore[index]
    usage = Usage(prompt_tokens=1_000_000, output_tokens=100_000, thought_tokens=100_000)
    listed = catalog().get("gemini-3-flash-preview")
    assert listed is not None and listed.price is not None
    cost = estimate_cost("gemini-3-flash-preview", usage, audio_only=True, prices=prices)
    expected = listed.price.input_audio + 0.2 * listed.price.output
    assert cost is not None and cost["total"] == pytest.approx(expected)
    assert estimate_cost("other-model", usage, False, prices) is None


def test_default_prices_are_the_catalogs() -> None:
    priced = {m.id for m in catalog().models.values() if m.prices}
    assert set(catalog_prices()) == priced and catalog().default in priced


def test_cost_takes_the_price_in_force_on_the_day() -> None:
    """3.8 Flash: $0.75/$3.75 through 2026-12-31, then $1.50/$7.50 (catalog, unverified)."""
    usage = Usage(prompt_tokens=1_000_000, output_tokens=1_000_000, thought_tokens=0)
    prices = catalog_prices()
    december = estimate_cost("gemini-3.8-flash", usage, False, prices, dt.date(2026, 12, 31))
    january = estimate_cost("gemini-3.8-flash", usage, False, prices, dt.date(2027, 1, 1))
    assert december is not None and december["total"] == pytest.approx(0.75 + 3.75)
    assert january is not None and january["total"] == pytest.approx(1.50 + 7.50)


def test_prices_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    monkeypatch.setenv(
        "TABSCRIBE_PRICES", json.dumps({"gemini-9": {"input": 1, "input_audio": 2, "output": 3}})
    )
    get_settings.cache_clear()
    try:
        assert get_settings().prices["gemini-9"][0].output == 3
    finally:
        get_settings.cache_clear()


# -- exports -----------------------------------------------------------------------------------

SEGMENTS = [
    {"start_ms": 0, "voice": 1, "text": "Tom & Jerry <b>"},
    {"start_ms": 2500, "voice": 2, "text": "Hello"},
    {"start_ms": 2000, "voice": None, "text": "backwards"},
]
SPEAKERS = [{"voice": 1, "name": "Ann <A>"}, {"voice": 2, "name": None}]


def test_vtt_has_voices_escaped_text_and_valid_times() -> None:
    text = exports.to_vtt(exports.cues(SEGMENTS, SPEAKERS, 10_000))
    captions = webvtt.from_buffer(io.StringIO(text)).captions
    assert [c.start for c in captions] == ["00:00:00.000", "00:00:02.500", "00:00:02.000"]
    assert captions[1].end == "00:00:04.500"  # the next starts earlier: fallback length
    assert captions[2].end == "00:00:10.000"  # the last ends at the media end
    assert "<v Ann &lt;A&gt;>Tom &amp; Jerry &lt;b&gt;" in text
    assert "<v Speaker 2>Hello" in text


def test_srt_prefixes_speaker_names() -> None:
    text = exports.to_srt(exports.cues(SEGMENTS, SPEAKERS, None))
    subtitles = list(srt.parse(text))
    assert subtitles[0].content == "Ann <A>: Tom & Jerry <b>"
    assert subtitles[1].content == "Speaker 2: Hello" and subtitles[2].content == "backwards"
    assert subtitles[0].end == timedelta(milliseconds=2500)
    assert subtitles[2].end == timedelta(milliseconds=4000)


EVENTS = [{"start_ms": 1000, "end_ms": 1800, "kind": "applause"}]
EVENTS += [{"start_ms": 3000, "end_ms": None, "kind": "laughter"}]


def test_sound_events_are_unvoiced_cues_among_the_speech_and_a_list_in_the_json() -> None:
    items = exports.cues(SEGMENTS, SPEAKERS, 10_000)
    subtitles = exports.with_events(items, EVENTS)
    captions = webvtt.from_buffer(io.StringIO(exports.to_vtt(subtitles))).captions
    plain = webvtt.from_buffer(io.StringIO(exports.to_vtt(items))).captions
    texts = [c.text for c in captions]
    assert texts == [plain[0].text, "[applause]", plain[1].text, plain[2].text, "[laughter]"]
    assert (captions[1].start, captions[1].end) == ("00:00:01.000", "00:00:01.800")
    assert captions[-1].end == "00:00:05.000"  # no end: the fallback length
    assert [s.content for s in srt.parse(exports.to_srt(subtitles))][1] == "[applause]"
    assert exports.with_events(items, None) == items
    doc = {"events": EVENTS, "counts": {}}
    assert json.loads(exports.to_json(TID, doc, items))["events"] == EVENTS
    assert "events" not in json.loads(exports.to_json(TID, {}, items))


def test_a_run_keeps_its_events_table_on_the_document_capped() -> None:
    run = state.RunState.fresh(state.Run(generation="1", attempt=1))
    run.add([_segment(0, 1)], [])
    assert "events" not in run.fields(None)  # no events table: no field
    run.add([], [], events_table=True)
    assert run.fields(None)["events"] == []
    many = [Event(start_ms=i, end_ms=None, kind="music") for i in range(state.MAX_EVENTS + 2)]
    run.add(list(reversed(many)), [])
    stored = run.fields(None)["events"]
    assert len(stored) == state.MAX_EVENTS and stored[0]["start_ms"] == 2  # in time order
    assert [i.code for i in run.issues] == ["too_many_events"] * 2
    again = state.RunState.from_doc({**run.fields(None), "store": run.cursor.model_dump()})
    assert again.fields(None)["events"] == stored


# -- envelope and entry point ------------------------------------------------------------------


def _chunk(**kw: Any) -> ResultChunk:
    return ResultChunk(transcription_id=TID, generation="1", attempt=1, seq=0, text="x\n", **kw)


@pytest.mark.parametrize(
    "data,match",
    [
        ({"message": {"data": "%%%notbase64", "messageId": "1"}}, "base64"),
        ({"message": {"data": base64.b64encode(b"{not json").decode()}}, "ResultChunk"),
        ({"message": {"data": base64.b64encode(b'{"seq": -1}').decode()}}, "ResultChunk"),
        ({"msg": {}}, "envelope"),
        ({"message": {"data": ""}}, "envelope"),
    ],
)
def test_undecodable_messages_are_poison(data: dict[str, Any], match: str) -> None:
    with pytest.raises(envelope.PoisonMessage, match=match):
        envelope.decode(data, ResultChunk)


def test_a_chunk_decodes_from_a_push_body() -> None:
    chunk = _chunk()
    decoded, message = envelope.decode(push_body(chunk, "42"), ResultChunk)
    assert decoded == chunk and message.message_id == "42"


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    get_settings.cache_clear()
    yield create_app(target="store_transcription", source="main.py").test_client()
    get_settings.cache_clear()


def test_entry_point_answers_500_to_poison_so_pubsub_retries(http: Any) -> None:
    bad_base64 = push_body(b"")
    bad_base64["message"]["data"] = "***"
    assert http.post("/", json=bad_base64).status_code == 500
    assert http.post("/", json=push_body(b"[1, 2]")).status_code == 500
    event = {
        "specversion": "1.0",
        "id": "1",
        "source": "//storage.googleapis.com/projects/_/buckets/b",
        "type": "google.cloud.storage.object.v1.finalized",
        "data": push_body(_chunk()),
    }
    response = http.post("/", json=event, headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code == 500


def test_the_store_never_imports_genai() -> None:
    import os
    import subprocess
    import sys

    code = "import sys, main; import functions.store.handler; print('google.genai' in sys.modules)"
    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": "p"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == "False"


def test_committed_event_schema_matches_the_model() -> None:

    from functions.core.events import CompletionEvent

    committed = ROOT / "docs" / "schemas" / "completion-event.schema.json"
    assert json.loads(committed.read_text()) == CompletionEvent.model_json_schema()


def test_a_batch_request_costs_the_catalogs_batch_share() -> None:
    """Batch requests are billed at half the standard price (catalog's `batch_price_share`)."""
    usage = Usage(prompt_tokens=1_000_000, output_tokens=500_000, thought_tokens=500_000)
    prices, day = catalog_prices(), dt.date(2026, 12, 31)
    standard = estimate_cost("gemini-3.8-flash", usage, False, prices, day)
    batch = estimate_cost("gemini-3.8-flash", usage, False, prices, day, tier="batch")
    assert standard is not None and batch is not None
    assert (standard["tier"], batch["tier"]) == ("standard", "batch")
    assert catalog().batch_price_share == 0.5
    assert batch["total"] == pytest.approx(0.5 * (0.75 + 3.75))
    assert batch["total"] == pytest.approx(standard["total"] * catalog().batch_price_share)
