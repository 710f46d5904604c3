"""One upload per run on the Developer API (decision 0016): a long transcription's clips, its
voices pass and its continuations reuse the run's Files API copy of the object; a request
uploads again only when that copy is gone, FAILED or about to expire. Real emulators, the
stand-in (its Files API counts uploads and keeps the 48 h expiry) and the functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from functions.core.messages import ClipTask, VoicesTask
from functions.core.settings import get_settings
from functions.format.voices import Snippet
from standin.files import LIFETIME_S
from tests.paths import ROOT
from tests.standin.sdk import bundled
from tests.transcribe import test_continuation
from tests.transcribe.conftest import (
    Stack,
    ask_voices,
    clip_function,
    media_bytes,
    transcription_doc,
)
from tests.transcribe.test_clips import Clips
from tests.transcribe.test_continuation import Continuing

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("stack", ["developer"], indirect=True),
]

continuing = test_continuation.continuing  # its fixture: continuations on, the clips topic
CONFERENCE = ROOT / "samples" / "conference.webm"  # 100 minutes: 12 clips at the default plan


@pytest.fixture
def clips(stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str) -> Iterator[Clips]:
    """The clips topic and function, with the default clip plan."""
    app, subscription = clip_function(monkeypatch, unique)
    yield Clips(stack, app, subscription)
    get_settings.cache_clear()


def fan_out(clips: Clips) -> tuple[object, list[ClipTask]]:
    blob = clips.stack.bucket.blob("uploads/alice/conference.webm")
    blob.upload_from_filename(str(CONFERENCE), content_type="video/webm")
    blob = clips.stack.bucket.get_blob(blob.name)
    assert clips.stack.deliver(blob) == 200
    return blob, clips.tasks(expect=12)


def uploads(stack: Stack) -> int:
    return stack.stand_in.state.files.uploads


def voices(blob: object, task: ClipTask) -> VoicesTask:
    """The voices pass as the store asks it, on two authored rows of the sample: the run's
    upload read from the document."""
    doc = transcription_doc(blob)
    rows = bundled("conference")["rows"]
    first = rows[0]
    other = next(r for r in rows if r["voice"] not in (None, first["voice"]))
    snippets = [
        Snippet(voice=n, start_ms=r["start_ms"], end_ms=r["start_ms"] + 4000, text=r["text"][:80])
        for n, r in enumerate((first, other), 1)
    ]
    fields = task.model_dump(include={"transcription_id", "bucket", "name", "generation"})
    return VoicesTask(
        **fields,
        attempt=task.attempt,
        clips=task.clips,
        content_type=task.content_type,
        size=task.size,
        media_file=doc["media_file"],
        plan=doc["plan"],
        snippets=snippets,
    )


def test_a_long_transcription_uploads_its_media_once(clips: Clips) -> None:
    blob, tasks = fan_out(clips)
    assert [t.index for t in tasks] == list(range(12)) and uploads(clips.stack) == 1
    [file] = {t.media_file for t in tasks}
    assert file is not None and file.source.endswith(f"#{tasks[0].generation}")
    for task in tasks:
        assert clips.run(task, f"clip-{task.index}") == 200
    ask_voices(blob)
    assert clips.run(voices(blob, tasks[0]), "voices") == 200
    calls = clips.stack.model_calls()
    assert len(calls) == 13 and {c["file_uri"] for c in calls[:12]} == {file.uri}
    assert calls[12]["file_uri"] != file.uri and calls[12]["mime_type"] == "video/webm"
    assert uploads(clips.stack) == 2  # the recording once for twelve clips; the voices reel
    finals = [c for c in clips.stack.results(expect_final=13) if c.final]
    assert len(finals) == 13 and {c.outcome for c in finals} == {"completed"}
    # the reel's copy is deleted after its pass; the run's copy expires by itself
    assert [f"files/{f.file_id}" for f in clips.stack.stand_in.state.files.all()] == [file.name]


def test_a_clip_whose_upload_expired_uploads_again(clips: Clips) -> None:
    _, tasks = fan_out(clips)
    clips.stack.stand_in.configure(clock_shift_s=LIFETIME_S)  # the run's file is past its expiry
    assert clips.run(tasks[0]) == 200
    [call] = clips.stack.model_calls()
    assert uploads(clips.stack) == 2 and call["status"] == 200
    assert call["file_uri"] != (tasks[0].media_file.uri if tasks[0].media_file else None)
    [final] = [c for c in clips.stack.results() if c.final]
    assert final.outcome == "completed"


def test_a_file_expiring_within_the_budget_is_not_sent(clips: Clips) -> None:
    """The task's expirationTime is read first: a file that would expire mid-request is replaced
    before any request names it."""
    _, tasks = fan_out(clips)
    assert tasks[1].media_file is not None
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    expiring = tasks[1].media_file.model_copy(update={"expires_at": soon})
    assert clips.run(tasks[1].model_copy(update={"media_file": expiring})) == 200
    assert uploads(clips.stack) == 2
    [call] = clips.stack.model_calls()
    assert call["file_uri"] != expiring.uri


def test_a_single_run_deletes_its_upload_when_it_ends(stack: Stack) -> None:
    blob = stack.upload("clip.mp4", "uploads/alice/short.mp4", "video/mp4")
    text = "<TRANSCRIPT>\nstart\tvoice\ttext\n00:01\t1\tHello.\n</TRANSCRIPT>\n"
    stack.stand_in.register(text, duration_s=2.5, has_video=True, media=media_bytes("clip.mp4"))
    assert stack.deliver(blob) == 200
    [final] = [c for c in stack.results() if c.final]
    assert final.outcome == "completed" and uploads(stack) == 1
    assert stack.stand_in.state.files.all() == []


def test_a_continuation_reuses_the_runs_upload_and_the_run_deletes_it_at_its_end(
    stack: Stack, continuing: Continuing
) -> None:
    blob = continuing.upload([{"max_tokens_at_row": 109, "times": 1}])
    chunks, tasks = continuing.follow(blob)
    [task] = tasks
    assert task.media_file is not None and uploads(stack) == 1
    first, second = stack.model_calls()
    assert first["file_uri"] == second["file_uri"] == task.media_file.uri
    assert chunks[-1].final and chunks[-1].outcome == "completed"
    assert stack.stand_in.state.files.all() == []  # deleted once the run ended
