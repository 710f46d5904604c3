"""Long media through the transcriber: the upload's run fans out into clip tasks, and each clip is
one claimed model call on the same object through offsets (decision 0010). Real emulators, the
stand-in and the functions served by functions-framework; clips forced short so the bundled
10-minute keynote becomes six."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from functions.core.documents import transcription_id
from functions.core.messages import ClipTask, VoicesTask
from functions.core.settings import get_settings
from functions.format.voices import Snippet, parse_answer
from standin.authored import Authored, authored_from_json
from tests.paths import ROOT
from tests.store.support import cloud_event
from tests.transcribe.conftest import (
    BOTH_MODES,
    Stack,
    ask_voices,
    clip_function,
    pull,
    transcription_doc,
)

pytestmark = pytest.mark.emulator

KEYNOTE = ROOT / "samples" / "keynote.mp4"  # 10:13.5, authored answer bundled with the stand-in


@dataclass
class Clips:
    stack: Stack
    app: Any  # transcribe_clip
    subscription: str

    def upload_keynote(self) -> Any:
        blob = self.stack.bucket.blob("uploads/alice/keynote.mp4")
        blob.upload_from_filename(str(KEYNOTE), content_type="video/mp4")
        return self.stack.bucket.get_blob(blob.name)

    def tasks(self, expect: int) -> list[ClipTask]:
        """The clip tasks published, pulled until `expect` have come (or 20 s); `expect=0`: one
        pull, what the invocations that returned published."""
        found: list[ClipTask] = []
        deadline = time.monotonic() + 20
        while True:
            found += [ClipTask.model_validate_json(m.data) for m in pull(self.subscription)]
            if len(found) >= expect or time.monotonic() > deadline:
                return sorted(found, key=lambda t: (t.generation, t.index))

    def run(self, task: ClipTask | VoicesTask, message_id: str = "1") -> int:
        body = cloud_event(task, message_id)
        headers = {"Content-Type": "application/cloudevents+json"}
        return int(self.app.post("/", json=body, headers=headers).status_code)

    def offsets(self) -> list[tuple[float, float | None]]:
        media = [call["media"][0] for call in self.stack.model_calls()]
        return sorted((m["start_s"], m["end_s"]) for m in media)


@pytest.fixture
def clips(stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str) -> Iterator[Clips]:
    short = {"TABSCRIBE_CLIP_THRESHOLD_S": "120", "TABSCRIBE_CLIP_S": "120"}
    app, subscription = clip_function(monkeypatch, unique, **short, TABSCRIBE_CLIP_OVERLAP_S="10")
    yield Clips(stack, app, subscription)
    get_settings.cache_clear()


def test_a_long_upload_fans_out_into_overlapping_clips_without_a_model_call(clips: Clips) -> None:
    blob = clips.upload_keynote()
    assert clips.stack.deliver(blob, "upload-1") == 200
    tasks = clips.tasks(expect=6)
    assert [t.index for t in tasks] == list(range(6)) and all(t.clips == 6 for t in tasks)
    assert tasks[0].start_ms == 0 and tasks[-1].end_ms == transcription_doc(blob)["duration_ms"]
    for a, b in itertools.pairwise(tasks):
        assert 10_000 <= a.end_ms - b.start_ms <= 11_000  # the overlap, on whole seconds
    lengths = {t.end_ms - t.start_ms for t in tasks}
    assert max(lengths) - min(lengths) <= 1_000  # equal clips to the whole second
    assert all(t.plan["start_s"] == t.start_ms / 1000 for t in tasks)
    assert clips.stack.model_calls() == []
    doc = transcription_doc(blob)
    assert doc["clips"]["count"] == 6 and doc["progress"]["clips"] == 6
    assert doc["status"] == "processing"
    assert clips.stack.deliver(blob, "upload-1") == 200  # a duplicate: the run is finished
    assert clips.tasks(expect=0) == []


@BOTH_MODES
def test_each_clip_is_one_model_call_on_its_offsets_streamed_with_its_tag(clips: Clips) -> None:
    blob = clips.upload_keynote()
    clips.stack.deliver(blob)
    tasks = clips.tasks(expect=6)
    with ThreadPoolExecutor(6) as pool:  # in parallel, as the push subscription delivers them
        assert list(pool.map(clips.run, tasks, [f"m{t.index}" for t in tasks])) == [200] * 6
    expected = [(t.start_ms / 1000, t.end_ms / 1000) for t in tasks]
    expected[-1] = (expected[-1][0], None)  # the last clip runs to the end of the media
    assert clips.offsets() == expected
    chunks = clips.stack.results(expect_final=6)
    finals = [c for c in chunks if c.final]
    assert sorted(c.clip.index for c in finals if c.clip) == list(range(6))
    assert all(c.outcome == "completed" and c.clip and c.clip.attempt == 1 for c in finals)
    assert all(c.attempt == 1 for c in chunks)  # the upload run's attempt


def test_duplicate_clip_messages_call_the_model_once(clips: Clips) -> None:
    clips.stack.stand_in.configure(token_rate=2000)  # slow enough for the copies to overlap
    clips.stack.deliver(clips.upload_keynote())
    task = clips.tasks(expect=6)[2]
    ids = [f"copy-{i}" for i in range(8)] + ["copy-0"] * 4  # Pub/Sub duplicates and redeliveries
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(clips.run, [task] * 12, ids))
    assert set(codes) <= {200, 500}  # 500: a redelivery of the live holder's own message
    assert len(clips.stack.model_calls()) == 1
    assert clips.run(task, "later") == 200 and len(clips.stack.model_calls()) == 1


def test_an_overwrite_supersedes_every_clip_of_the_old_generation(clips: Clips) -> None:
    old = clips.upload_keynote()
    clips.stack.deliver(old)
    old_tasks = clips.tasks(expect=6)
    new = clips.upload_keynote()
    clips.stack.deliver(new)
    new_tasks = clips.tasks(expect=6)
    assert {t.generation for t in new_tasks} == {str(new.generation)} != {str(old.generation)}
    assert [clips.run(t) for t in old_tasks] == [200] * 6
    assert clips.stack.model_calls() == []  # the old generation's clips are never called


def test_a_503_storm_on_a_clip_is_retried_inside_the_budget(clips: Clips) -> None:
    clips.stack.deliver(clips.upload_keynote())
    task = clips.tasks(expect=6)[1]
    clips.stack.stand_in.configure(faults=[{"status": 503, "times": 3}])
    assert clips.run(task) == 200
    assert len(clips.stack.model_calls()) == 4  # three 503s, then the answer
    final = [c for c in clips.stack.results() if c.final]
    assert final[0].outcome == "completed" and final[0].clip and final[0].clip.attempt == 4


def test_a_blocked_clip_ends_with_its_final_chunk_once(clips: Clips) -> None:
    clips.stack.deliver(clips.upload_keynote())
    task = clips.tasks(expect=6)[3]
    clips.stack.stand_in.configure(faults=[{"prompt_block": "PROHIBITED_CONTENT", "times": 1}])
    assert clips.run(task) == 200 and clips.run(task, "again") == 200
    finals = [c for c in clips.stack.results() if c.final]
    assert [(c.outcome, c.clip.index if c.clip else None) for c in finals] == [("blocked", 3)]
    assert len(clips.stack.model_calls()) == 1


def test_an_unreadable_clip_message_is_refused_for_the_dead_letter_topic(clips: Clips) -> None:
    body = cloud_event(b'{"version": 1}', "poison")
    headers = {"Content-Type": "application/cloudevents+json"}
    assert clips.app.post("/", json=body, headers=headers).status_code == 500


def keynote_answer() -> Authored:
    data = json.loads((ROOT / "standin" / "responses" / "keynote.json").read_text())
    return authored_from_json(data["rows"], data["speakers"])


def keynote_voices() -> list[Snippet]:
    """One snippet per authored row of the first two minutes, each labelled a voice of its own
    (as a merge that could not tell them apart would number them)."""
    authored = keynote_answer()
    rows = [s for s in authored.rows if s.start_ms < 120_000 and s.voice is not None]
    return [
        Snippet(voice=n, start_ms=row.start_ms, end_ms=row.start_ms + 4_000, text=row.text[:100])
        for n, row in enumerate(rows[:12], 1)
    ]


def voices_task(blob: Any, plan: dict[str, Any], snippets: list[Snippet]) -> VoicesTask:
    """The voices pass of the keynote's six clips, as the store would ask it."""
    return VoicesTask(
        transcription_id=transcription_id(blob.bucket.name, blob.name),
        bucket=blob.bucket.name,
        name=blob.name,
        generation=str(blob.generation),
        attempt=1,
        clips=6,
        content_type="video/mp4",
        size=blob.size,
        plan=plan,
        snippets=snippets,
    )


@BOTH_MODES
def test_the_voices_pass_is_one_call_on_a_reel_answered_as_the_clip_after_the_last(
    clips: Clips,
) -> None:
    blob = clips.upload_keynote()
    clips.stack.deliver(blob)
    snippets = keynote_voices()
    task = voices_task(blob, clips.tasks(expect=6)[0].plan, snippets)
    assert clips.run(task, "voices-early") == 500  # not asked yet: redelivered, no call
    ask_voices(blob, len(snippets))
    assert clips.run(task, "voices-1") == 200 and clips.run(task, "voices-2") == 200
    [call] = clips.stack.model_calls()  # the duplicate never calls the model
    [media] = call["media"]  # one media part: the reel, whole, at low resolution
    assert (media["resolution"], media["fps"], media["offsets_in"]) == (
        "MEDIA_RESOLUTION_LOW",
        0.5,
        None,
    )
    reel = clips.stack.bucket.get_blob(f"results/{task.transcription_id}/voices-1.webm")
    assert reel is not None and reel.content_type == "video/webm"
    assert call["sha256"] == hashlib.sha256(reel.download_as_bytes()).hexdigest()  # it is sent
    assert media["mime_type"] == "video/webm" and call["voices"] == len(snippets)
    assert reel.size < blob.size / 4  # small: a few seconds a voice, low resolution
    chunks = clips.stack.results()
    [final] = [c for c in chunks if c.final]
    assert final.outcome == "completed" and final.clip and final.clip.index == 6
    answer = "".join(c.text or "" for c in sorted(chunks, key=lambda c: c.seq))
    groups, issues = parse_answer(answer, {s.voice for s in snippets})
    authored = keynote_answer()
    voice_at = {s.start_ms: s.voice for s in authored.rows}
    truth = {s.voice: voice_at[s.start_ms] for s in snippets}
    assert issues == [] and groups
    assert all(len({truth[v] for v in group}) == 1 for group in groups)
    assert sum(len(g) - 1 for g in groups) == len(snippets) - len(set(truth.values()))


def test_a_cut_off_voices_pass_is_not_continued(
    clips: Clips, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its table is not a transcript: a cut ends it as it is (the merge then keeps the voices)."""
    monkeypatch.setenv("TABSCRIBE_CONTINUATIONS", "3")
    get_settings.cache_clear()
    blob = clips.upload_keynote()
    clips.stack.deliver(blob)
    task = voices_task(blob, clips.tasks(expect=6)[0].plan, keynote_voices())
    ask_voices(blob)
    clips.stack.stand_in.configure(faults=[{"max_tokens_after_chars": 30}])
    assert clips.run(task, "voices-cut") == 200
    [final] = [c for c in clips.stack.results() if c.final]
    assert final.finish_reason == "MAX_TOKENS" and final.clip and final.clip.index == 6
    assert clips.tasks(expect=0) == []  # no continuation task on the clips topic


def documents(blob: Any) -> dict[str, Any]:
    """The transcription's document and its clips' documents, as stored now."""
    from functions.core import clients

    db = clients.firestore_client()
    ref = db.collection("transcriptions").document(transcription_id(blob.bucket.name, blob.name))
    clip_docs = {s.id: s.to_dict() for s in ref.collection("clips").stream()}
    return {"transcription": ref.get().to_dict(), "clips": clip_docs}


def test_a_forged_clip_task_is_refused_before_any_claim_or_call(clips: Clips) -> None:
    """Issue: a clip task with index 500 on a running run was claimed and paid for. Each field
    the run recorded is checked: the index, the range, the plan, the prompt, the object."""
    blob = clips.upload_keynote()
    clips.stack.deliver(blob)
    task = clips.tasks(expect=6)[2]
    before = documents(blob)
    other_plan = {**task.plan, "media_resolution": "MEDIA_RESOLUTION_HIGH"}
    forged = [
        task.model_copy(update={"index": 500}),
        task.model_copy(update={"index": 500, "clips": 501}),
        task.model_copy(update={"start_ms": 0, "end_ms": 600_000}),
        task.model_copy(update={"plan": other_plan}),
        task.model_copy(update={"prompt": task.prompt + " Also summarise it."}),
        task.model_copy(update={"size": 1, "content_type": "audio/mpeg"}),
        task.model_copy(update={"attempt": 2}),
    ]
    assert [clips.run(t, f"forged-{n}") for n, t in enumerate(forged)] == [200] * len(forged)
    assert clips.stack.model_calls() == [] and clips.stack.results(timeout=2) == []
    assert documents(blob) == before  # no claim, no change
    assert clips.run(task, "genuine") == 200 and len(clips.stack.model_calls()) == 1


def test_a_voices_task_naming_another_users_object_is_refused(clips: Clips) -> None:
    """Issue: a task naming one user's transcription but another user's object, in the voices
    slot, called the model on the other user's object and took over the first one's pass."""
    alice = clips.upload_keynote()
    clips.stack.deliver(alice)
    plan = clips.tasks(expect=6)[0].plan
    bob = clips.stack.bucket.blob("uploads/bob/private.mp4")
    bob.upload_from_filename(str(KEYNOTE), content_type="video/mp4")
    bob = clips.stack.bucket.get_blob(bob.name)
    ask_voices(alice)  # the slot is open: the store asked alice's pass
    before = documents(alice)
    genuine = voices_task(alice, plan, keynote_voices())
    elsewhere = {"name": bob.name, "generation": str(bob.generation)}
    forged = [
        genuine.model_copy(update=elsewhere),
        genuine.model_copy(update={"name": bob.name}),
        genuine.model_copy(update={"clips": 7}),
        genuine.model_copy(update={"plan": {**plan, "start_s": 0.0, "end_s": None}}),
    ]
    assert [clips.run(t, f"forged-{n}") for n, t in enumerate(forged)] == [200] * len(forged)
    assert clips.stack.model_calls() == [] and clips.stack.results(timeout=2) == []
    assert documents(alice) == before
    assert clips.stack.bucket.get_blob(f"results/{genuine.transcription_id}/voices-1.webm") is None
