"""The store merging a long upload's clips (decision 0010) on the real emulators: each clip's
chunks on its own document, the merged transcript in the layout apps read, in any order, once."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from google.cloud import firestore

from functions.core.documents import CLIPS, TRANSCRIPTIONS, clip_doc_id
from functions.core.messages import ClipTag, ResultChunk, VoicesTask
from functions.core.settings import get_settings
from functions.format.tables import render_output
from functions.store import merging
from functions.transcribe.clips import plan_clips
from tests.store.conftest import Stack, transcriber_doc
from tests.store.support import all_segments, chunks_of, clip_answers, new_id

pytestmark = pytest.mark.emulator
GENERATION = "1700000000000001"
DURATION_S = 270
RANGES = [(c.start_ms, c.end_ms) for c in plan_clips(DURATION_S, 90, 10, 60)]  # four clips
WORDS = ("amber", "birch", "cedar", "delta", "ember", "fjord", "garnet", "harbor")
ROWS = [  # every 3 s; voices 1, 2, 3 in turn; each text its own
    (n * 3000, n % 3 + 1, f"line {n}: " + " ".join(random.Random(n).choices(WORDS, k=6)))
    for n in range(DURATION_S // 3)
]
NAMES = {1: "Ada Byron", 3: "Cy Twombly"}  # voice 2 is never named: the overlaps tell
PACING_S = merging.MIN_INTERVAL_S


@pytest.fixture(autouse=True)
def quick_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merges 20 times as often: the pacing is the subject of the tests that ask for `paced`,
    and the others would spend most of their time waiting for it (the store runs in-process)."""
    monkeypatch.setattr(merging, "MIN_INTERVAL_S", PACING_S / 20)


@pytest.fixture
def paced(quick_merges: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's pacing: the document written about once per `MIN_INTERVAL_S`."""
    monkeypatch.setattr(merging, "MIN_INTERVAL_S", PACING_S)


def fan_out(db: firestore.Client, tid: str, clip_attempts: int = 1) -> None:
    """What the transcriber writes for a fanned-out run: the plan, and each clip's claim."""
    transcriber_doc(db, tid, GENERATION, 1)
    ref = db.collection(TRANSCRIPTIONS).document(tid)
    ranges = [{"index": i, "start_ms": a, "end_ms": b} for i, (a, b) in enumerate(RANGES)]
    ref.update({"duration_ms": DURATION_S * 1000, "clips": {"count": 4, "ranges": ranges}})
    for index in range(len(RANGES)):
        ref.collection(CLIPS).document(clip_doc_id(GENERATION, 1, index)).set(
            {"run": {"generation": GENERATION, "attempt": clip_attempts}}
        )


def clip_chunks(tid: str, index: int, attempt: int = 1, **options: Any) -> list[ResultChunk]:
    text = clip_answers(ROWS, NAMES, RANGES)[index]
    tag = ClipTag(index=index, attempt=attempt)
    return chunks_of(text, tid, GENERATION, 1, rows=7, clip=tag, **options)


def everything(tid: str) -> list[ResultChunk]:
    return [chunk for index in range(len(RANGES)) for chunk in clip_chunks(tid, index)]


def doc_of(stack: Stack, tid: str) -> dict[str, Any]:
    return stack.db.collection(TRANSCRIPTIONS).document(tid).get().to_dict() or {}


def stored_rows(stack: Stack, tid: str) -> list[tuple[int, int | None, str]]:
    """What an app shows: the pages, then the live page."""
    live = (doc_of(stack, tid).get("live_page") or {}).get("segments") or []
    segments = [*all_segments(stack.db, tid), *live]
    return [(s["start_ms"], s["voice"], s["text"]) for s in segments]


def test_clips_in_any_order_merge_into_the_authored_transcript_once(
    stack: Stack, unique: str
) -> None:
    tid = new_id(unique)
    fan_out(stack.db, tid)
    chunks = everything(tid)
    random.Random(7).shuffle(chunks)  # across clips and within each: early chunks wait
    assert [stack.deliver(c, message_id=f"m{i}") for i, c in enumerate(chunks)] == [200] * len(
        chunks
    )
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed" and doc["complete"] is True
    assert stored_rows(stack, tid) == ROWS  # absolute times, every row once, one voice per person
    assert [(s["voice"], s["name"]) for s in doc["speakers"]] == [
        (1, "Ada Byron"),
        (2, None),
        (3, "Cy Twombly"),
    ]
    assert doc["progress"] | {} == doc["progress"] and doc["progress"]["clips_done"] == 4
    assert doc["progress"]["fraction"] == 1.0 and doc["live_page"] is None
    assert doc["usage"]["prompt_tokens"] == 4 * 100_000  # every clip's request counts
    assert sum(s["segments"] for s in doc["speakers"]) == len(ROWS)
    assert [e.type for e in stack.pull_events()] == ["dev.tabscribe.transcription.completed"]


def test_redelivered_and_duplicated_clip_chunks_give_the_same_transcript(
    stack: Stack, unique: str
) -> None:
    once, twice = new_id(unique + "a"), new_id(unique + "b")
    for tid in (once, twice):
        fan_out(stack.db, tid)
    for chunk in everything(once):
        assert stack.deliver(chunk) == 200
    noisy = everything(twice) * 2
    random.Random(3).shuffle(noisy)
    for chunk in noisy:
        assert stack.deliver(chunk) in (200, 500)  # 500: a chunk after its clip's final one
    assert stored_rows(stack, twice) == stored_rows(stack, once) == ROWS
    assert doc_of(stack, twice)["speakers"] == doc_of(stack, once)["speakers"]
    assert len(stack.pull_events(expect=2)) == 2  # one per transcription


def deliver_with_clip_2_blocked(stack: Stack, tid: str) -> None:
    """Every clip's chunks, clip 2 blocked: the voices of clip 3 can be checked by no overlap."""
    fan_out(stack.db, tid)
    for chunk in everything(tid):
        if chunk.clip and chunk.clip.index == 2:
            if chunk.final:  # the clip's only chunk: blocked, no text
                blocked = chunk.model_copy(update={"seq": 0, "text": "", "outcome": "blocked"})
                assert stack.deliver(blocked) == 200
            continue
        assert stack.deliver(chunk) == 200


def test_a_blocked_clip_leaves_a_recorded_gap_not_a_failed_transcription(
    stack: Stack, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABSCRIBE_VOICE_SNIPPET_S", "0")  # no voices pass: the run ends at once
    get_settings.cache_clear()
    tid = new_id(unique)
    deliver_with_clip_2_blocked(stack, tid)
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed" and doc["complete"] is False
    assert "clip_gap" in [issue["code"] for issue in doc["issues"]]
    rows = stored_rows(stack, tid)
    assert rows and all(not 140_000 <= at < 195_000 for at, _, _ in rows)  # clip 2's own part


def test_a_silent_clip_is_transcribed_not_a_gap(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    fan_out(stack.db, tid)
    silence = chunks_of(render_output([], []), tid, GENERATION, 1, clip=ClipTag(index=2, attempt=1))
    for chunk in [c for c in everything(tid) if c.clip and c.clip.index != 2] + silence:
        assert stack.deliver(chunk) == 200
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed" and doc["complete"] is True  # like a silent recording
    assert "clip_gap" not in [issue["code"] for issue in doc["issues"]]


def test_clip_chunks_nobody_claimed_are_refused_and_old_attempts_superseded(
    stack: Stack, unique: str
) -> None:
    tid = new_id(unique)
    fan_out(stack.db, tid, clip_attempts=2)
    first = clip_chunks(tid, 0, attempt=2)[0]
    unknown_clip = first.model_copy(update={"clip": ClipTag(index=9, attempt=2)})
    unclaimed_attempt = first.model_copy(update={"clip": ClipTag(index=0, attempt=3)})
    older_attempt = first.model_copy(update={"clip": ClipTag(index=0, attempt=1)})
    assert stack.deliver(unknown_clip) == 500
    assert stack.deliver(unclaimed_attempt) == 500
    assert stack.deliver(older_attempt) == 200  # superseded: acknowledged, nothing written
    clip_doc = stack.db.collection(TRANSCRIPTIONS).document(tid).collection(CLIPS)
    assert "store" not in (clip_doc.document(clip_doc_id(GENERATION, 1, 0)).get().to_dict() or {})
    assert stack.deliver(first) == 200
    assert stored_rows(stack, tid)[:2] == ROWS[:2]  # the frontier clip shows while it streams


@contextmanager
def document_writes(stack: Stack, tid: str) -> Iterator[list[Any]]:
    """The commit times of the transcription document's versions while the block runs (the
    first: the document as it was), seen by a listener."""
    writes: list[Any] = []
    seen = threading.Event()

    def on_change(snapshots: list[Any], *_: Any) -> None:
        writes.extend(s.update_time for s in snapshots)
        seen.set()

    ref = stack.db.collection(TRANSCRIPTIONS).document(tid)
    watch = ref.on_snapshot(on_change)
    seen.wait(10)
    try:
        yield writes
        last, deadline = ref.get().update_time, time.monotonic() + 10
        while last not in writes:  # the listener catches up with the last version
            assert time.monotonic() < deadline, "the listener never saw the last version"
            time.sleep(0.05)
    finally:
        watch.unsubscribe()


def test_the_document_is_written_about_once_a_second_while_clips_stream(
    stack: Stack, unique: str, paced: None
) -> None:
    tid = new_id(unique)
    fan_out(stack.db, tid)
    with document_writes(stack, tid) as writes:
        merges = stream_clips(stack, tid)
    assert merges[0] >= 10 and 1 <= len(set(writes)) - 1 <= merges[1] / 1.0 + 2
    assert len(set(writes)) - 1 < merges[0]


def stream_clips(stack: Stack, tid: str) -> tuple[int, float]:
    """Every clip's chunks but the final ones, the clips at once: (chunks, seconds taken)."""
    streaming = [c for c in everything(tid) if not c.final]
    by_clip = [[c for c in streaming if c.clip and c.clip.index == i] for i in range(len(RANGES))]
    started = time.monotonic()
    with ThreadPoolExecutor(len(by_clip)) as pool:  # the clips stream at once
        codes = pool.map(lambda chunks: [stack.deliver(c) for c in chunks], by_clip)
    assert [code for clip in codes for code in clip] == [200] * len(streaming)
    return len(streaming), time.monotonic() - started


def test_clips_finishing_together_do_not_burst_writes(
    stack: Stack, unique: str, paced: None
) -> None:
    """Equal clips finish within a second of each other: their final merges wait their turn."""
    tid = new_id(unique)
    fan_out(stack.db, tid)
    stream_clips(stack, tid)
    finals = [c for c in everything(tid) if c.final]
    with document_writes(stack, tid) as writes, ThreadPoolExecutor(len(finals)) as pool:
        assert list(pool.map(stack.deliver, finals)) == [200] * len(finals)
    assert doc_of(stack, tid)["status"] == "completed"
    times = sorted(set(writes))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # merges a second apart, the last one ending the run; then the completion event's mark
    assert doc_of(stack, tid)["event"]["published"] is True
    assert len(gaps) >= 2 and min(gaps[:-1]) >= 0.9, gaps


def voices_answer(
    tid: str, task: VoicesTask, outcome: str = "completed", rows: int = 25
) -> list[ResultChunk]:
    """The voices pass's answer as the transcriber publishes it (clip `count`): each snippet's
    voice joined with the lowest one heard from the same authored voice."""
    stack_doc_claim = ClipTag(index=task.clips, attempt=1)
    truth = {
        s.voice: next(v for at, v, _ in reversed(ROWS) if at <= s.start_ms) for s in task.snippets
    }
    lowest: dict[int, int] = {}
    for voice in sorted(truth):
        lowest.setdefault(truth[voice], voice)
    table = "".join(f"{v}\t{lowest[truth[v]]}\n" for v in sorted(truth))
    text = f"<SAME_PERSON>\nvoice\tperson\n{table}</SAME_PERSON>\n"
    return chunks_of(text, tid, GENERATION, 1, rows=rows, clip=stack_doc_claim, outcome=outcome)


def claim_voices_pass(stack: Stack, tid: str) -> None:
    ref = stack.db.collection(TRANSCRIPTIONS).document(tid)
    ref.collection(CLIPS).document(clip_doc_id(GENERATION, 1, len(RANGES))).set(
        {"run": {"generation": GENERATION, "attempt": 1}}
    )


def test_unconfirmed_voices_ask_the_voices_pass_and_its_answer_joins_them(
    stack: Stack, unique: str
) -> None:
    tid = new_id(unique)
    deliver_with_clip_2_blocked(stack, tid)
    doc = doc_of(stack, tid)
    assert doc["status"] == "processing"  # every clip merged; the voices pass asked
    assert (
        doc["clips"]["voices"]["unconfirmed"]
        and len({v for _, v, _ in stored_rows(stack, tid)}) > 3
    )
    [message] = stack.pull_tasks()
    assert message.attributes["task"] == "voices"
    task = VoicesTask.model_validate_json(message.data)
    assert (task.clips, task.attempt) == (len(RANGES), 1)
    assert {s.voice for s in task.snippets} == {v for _, v, _ in stored_rows(stack, tid)}
    assert all(s.end_ms - s.start_ms <= 6_000 for s in task.snippets)
    claim_voices_pass(stack, tid)
    *partial, last = voices_answer(tid, task, rows=2)
    ref = stack.db.collection(TRANSCRIPTIONS).document(tid)
    asked_at = ref.get().update_time
    for chunk in partial:
        assert stack.deliver(chunk) == 200
    assert partial and ref.get().update_time == asked_at  # a partial answer writes nothing,
    assert stack.deliver(last) == 200  # so the last one is not held back by the pacing
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed" and doc["complete"] is False  # clip 2 is a gap
    codes = [issue["code"] for issue in doc["issues"]]
    assert "voice_unconfirmed" not in codes and "clip_gap" in codes
    rows = stored_rows(stack, tid)
    assert {v for _, v, _ in rows} == {1, 2, 3}
    authored = {at: v for at, v, _ in ROWS}
    assert len({(authored[at], v) for at, v, _ in rows}) == 3  # one voice per person
    assert doc["usage"]["prompt_tokens"] == 100_000 * 5  # four clips (one blocked), the pass
    assert len(stack.pull_events()) == 1


def test_a_failed_voices_pass_completes_with_the_voices_apart(stack: Stack, unique: str) -> None:
    tid = new_id(unique)
    deliver_with_clip_2_blocked(stack, tid)
    [message] = stack.pull_tasks()
    claim_voices_pass(stack, tid)
    task = VoicesTask.model_validate_json(message.data)
    for chunk in voices_answer(tid, task, outcome="blocked"):
        assert stack.deliver(chunk) == 200
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed"
    codes = [issue["code"] for issue in doc["issues"]]
    assert "voices_pass_failed" in codes and "voice_unconfirmed" in codes
    assert len({v for _, v, _ in stored_rows(stack, tid)}) > 3


def test_clips_sound_events_are_merged_onto_the_document_once_per_overlap(
    stack: Stack, unique: str
) -> None:
    """Decision 0025: each clip's `<EVENTS>` table, in its own timecodes; the applause in the
    overlap of clips 0 and 1 (65-75 s, cut at 70 s), heard by both, is one event on the document:
    clip 0's, which starts before the cut."""
    heard = {  # clip → (start, end, kind) relative to the clip, as a model writes them
        0: [(20_000, 24_000, "laughter"), (68_000, 72_000, "applause")],
        1: [(3_000, 8_000, "applause")],  # 68-73 s in the media
        3: [(40_000, 50_000, "music")],  # 235-245 s
    }
    tid = new_id(unique)
    fan_out(stack.db, tid)
    for index, answer in enumerate(clip_answers(ROWS, NAMES, RANGES)):
        text = answer + render_output([], [], events=heard.get(index, [])).split("</SPEAKERS>\n")[1]
        tag = ClipTag(index=index, attempt=1)
        for chunk in chunks_of(text, tid, GENERATION, 1, rows=7, clip=tag):
            assert stack.deliver(chunk) == 200
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed" and stored_rows(stack, tid) == ROWS
    assert doc["events"] == [
        {"start_ms": 20_000, "end_ms": 24_000, "kind": "laughter"},
        {"start_ms": 68_000, "end_ms": 72_000, "kind": "applause"},
        {"start_ms": 235_000, "end_ms": 245_000, "kind": "music"},
    ]


def test_a_completed_run_of_clips_starts_its_enrichments(stack: Stack, unique: str) -> None:
    from functions.core import tasks
    from functions.core.messages import EnrichTask

    tid = new_id(unique)
    fan_out(stack.db, tid)
    ref = stack.db.collection(TRANSCRIPTIONS).document(tid)
    ref.update({"asked_enrichments": ["translation_de"]})
    for i, chunk in enumerate(everything(tid)):
        assert stack.deliver(chunk, message_id=f"m{i}") == 200
    doc = doc_of(stack, tid)
    assert doc["status"] == "completed"
    german = doc["enrichments"]["translation_de"]
    assert (german["status"], german["run"]) == (
        "processing",
        {"generation": GENERATION, "attempt": 1},
    )
    assert [e.type for e in stack.pull_events()] == ["dev.tabscribe.transcription.completed"]
    (message,) = [m for m in stack.pull_tasks() if m.attributes.get("task") == "enrich"]
    task = EnrichTask.model_validate_json(message.data)
    assert task.enrichment == "translation_de" and tasks.refusal(task, doc) is None
