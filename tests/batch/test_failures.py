"""Batch mode's failures (decisions 0031, 0032, 0034): a failed line retries once in the next
batch, then ends its run `failed` with the service's words; a line the output leaves out is
retried the same way, never guessed; a job that ended short of success settles the rows it has and
re-queues the rest once; a submitter that dies before the service's create leaves a sealed batch
the poll submits once its lease lapses, and one that dies between the create and its record leaves
a job the next submit finds instead of creating another; a waiting run is held past its job's
longest life. Real emulators, the stand-in's batch jobs, the real SDK."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest

from functions.batch import collector, submit
from functions.batch.poll import poll
from functions.core import clients
from functions.core.documents import transcription_id
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.watch.sweep import sweep
from tests.batch.support import batch_env, batches, clean_batches, lines_of, poll_until_settled
from tests.batch.test_results import UPLOADS, register
from tests.conftest import PROJECT
from tests.transcribe.conftest import BOTH_MODES, Stack, transcription_doc

pytestmark = pytest.mark.emulator


class Crash(Exception):
    """The submitter's process dying at the hook's point."""


@pytest.fixture(autouse=True)
def _clean(emulators: object) -> Iterator[None]:
    clean_batches()
    yield
    submit.after_create = None


def upload_both(stack: Stack, unique: str) -> dict[str, str]:
    """The two uploads with priority=batch, delivered: {local file: transcription id}."""
    ids = {}
    for local, kind in UPLOADS:
        name = f"uploads/{local[:4]}/{unique}-{local}"
        blob = stack.upload(local, name, kind, {"priority": "batch"})
        stack.deliver(blob)
        ids[local] = transcription_id(blob.bucket.name, blob.name)
    return ids


def finals(stack: Stack, expect: int) -> dict[str, list[ResultChunk]]:
    runs: dict[str, list[ResultChunk]] = {}
    for chunk in stack.results(expect_final=expect, timeout=30):
        runs.setdefault(chunk.transcription_id, []).append(chunk)
    return runs


def jobs(stack: Stack) -> list[str]:
    return [job.display_name for job in stack.stand_in.state.batches.all(stack.mode)]


def texts_are_their_own(runs: dict[str, list[ResultChunk]], ids: dict[str, str]) -> None:
    """Each run completed once, with its own media's answer."""
    for local, tid in ids.items():
        chunks = runs[tid]
        assert [c.final for c in chunks].count(True) == 1 and chunks[-1].outcome == "completed"
        text = "".join(c.text or "" for c in chunks)
        assert ("Ada Lovelace" in text, "Hannah Fry" in text) == (
            (True, False) if local == "voice.m4a" else (False, True)
        )


def test_a_failed_line_retries_once_in_the_next_batch(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2", TABSCRIBE_BATCH_WAIT_S="0")
    register(stack)
    stack.stand_in.configure(faults=[{"status": 503, "times": 1}])
    ids = upload_both(stack, unique)
    poll_until_settled()
    texts_are_their_own(finals(stack, expect=2), ids)
    retried = [ln for ln in lines_of() if ln["key"].endswith("-retry")]
    assert len(retried) == 1 and retried[0]["tries"] == 2
    assert sorted(b["count"] for b in batches().values()) == [1, 2]  # the retry alone
    assert len(jobs(stack)) == 2


def test_a_line_that_fails_twice_ends_failed_with_the_service_s_words(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="1", TABSCRIBE_BATCH_WAIT_S="0")
    register(stack)
    stack.stand_in.configure(faults=[{"status": 400, "times": 2}])
    blob = stack.upload(
        "voice.m4a", f"uploads/ana/{unique}.m4a", "audio/mp4", {"priority": "batch"}
    )
    stack.deliver(blob)
    poll_until_settled()
    [final] = [
        c for c in finals(stack, expect=1)[transcription_id(blob.bucket.name, blob.name)] if c.final
    ]
    assert final.outcome == "failed"
    assert final.reason and "failed its request twice" in final.reason and "code 3" in final.reason
    assert Counter(ln["outcome"] for ln in lines_of()) == {"retried": 1, "failed": 1}
    assert transcription_doc(blob)["status"] in ("queued", "processing", "failed")


def test_a_failed_job_re_queues_its_lines_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2", TABSCRIBE_BATCH_WAIT_S="0")
    register(stack)
    stack.stand_in.state.batches.set_faults(["failed"])
    ids = upload_both(stack, unique)
    poll_until_settled()
    runs = finals(stack, expect=2)
    assert all(runs[tid][-1].outcome == "completed" for tid in ids.values())
    assert Counter(ln["outcome"] for ln in lines_of()) == {"retried": 2, "completed": 2}
    assert len(jobs(stack)) == 2 and len(batches()) == 2


@BOTH_MODES
def test_a_line_missing_from_the_output_is_retried_not_guessed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2", TABSCRIBE_BATCH_WAIT_S="0")
    register(stack)
    stack.stand_in.state.batches.set_faults(["partial"])  # the output leaves one line of two out
    ids = upload_both(stack, unique)
    poll_until_settled()
    first, retry = stack.stand_in.state.batches.all(stack.mode)[::-1]
    ended = {"developer": "SUCCEEDED", "vertex": "PARTIALLY_SUCCEEDED"}[stack.mode]
    assert stack.stand_in.state.batches.state(first) == f"JOB_STATE_{ended}"
    assert (len(first.answers), len(retry.lines or [])) == (1, 1)
    texts_are_their_own(finals(stack, expect=2), ids)
    assert Counter(ln["outcome"] for ln in lines_of()) == {"completed": 2, "retried": 1}


@pytest.mark.parametrize("stack", ["vertex"], indirect=True)
def test_a_vertex_job_out_of_time_fails_and_its_completed_rows_settle(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2", TABSCRIBE_BATCH_WAIT_S="0")
    register(stack)
    stack.stand_in.configure(batch_s=48 * 3600)  # it would run on past Vertex's 24 h
    stack.stand_in.state.batches.set_faults(["partial"])  # one row of two done in time
    ids = upload_both(stack, unique)
    [job] = stack.stand_in.state.batches.all("vertex")
    assert job.done.wait(30) and len(job.answers) == 1  # its completed row exported
    stack.stand_in.configure(clock_shift_s=24 * 3600)  # its 24 h of running are up
    [(batch_id, _)] = batches().items()
    assert poll(get_settings())[batch_id] == "done"
    assert stack.stand_in.state.batches.state(job) == "JOB_STATE_FAILED"
    outcomes = Counter(ln.get("outcome") for ln in lines_of())
    assert outcomes == {"completed": 1, "retried": 1, None: 1}  # the retry in the next batch
    stack.stand_in.configure(batch_s=0)
    poll_until_settled()
    texts_are_their_own(finals(stack, expect=2), ids)
    assert Counter(ln["outcome"] for ln in lines_of()) == {"completed": 2, "retried": 1}


def test_a_submitter_killed_after_the_create_leaves_a_job_the_next_submit_finds(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2")
    register(stack)

    def crash(batch_id: str) -> None:
        raise Crash(f"killed after creating the job of {batch_id}")

    submit.after_create = crash
    ids = upload_both(stack, unique)  # the second add seals, submits, and dies after the create
    [(batch_id, sealed)] = batches().items()
    assert (sealed["state"], sealed["job"]) == ("sealed", None)
    assert jobs(stack) == [batch_id]  # the service has the job; the batch does not know it
    submit.after_create = None
    assert poll(get_settings()) == {}  # its lease is live: nobody submits it yet
    lapsed = sealed["lease_until"] + dt.timedelta(seconds=1)
    assert poll(get_settings(), now=lapsed)[batch_id] in ("submitted", "running", "done")
    assert batches()[batch_id]["job"] == stack.stand_in.state.batches.all(stack.mode)[0].name
    poll_until_settled()
    assert jobs(stack) == [batch_id]  # found by its display name: not created twice
    runs = finals(stack, expect=2)
    assert all(runs[tid][-1].outcome == "completed" for tid in ids.values())


def test_a_submitter_killed_between_the_add_and_the_create_leaves_a_batch_the_poll_submits(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="2")
    register(stack)
    looked_up = submit.find_job

    def crash(client: object, batch_id: str) -> None:
        raise Crash(f"killed holding the lease of {batch_id}, before any create")

    monkeypatch.setattr(submit, "find_job", crash)
    ids = upload_both(stack, unique)  # the second add seals the batch, takes its lease and dies
    [(batch_id, sealed)] = batches().items()
    assert (sealed["state"], sealed["job"], jobs(stack)) == ("sealed", None, [])
    monkeypatch.setattr(submit, "find_job", looked_up)
    assert poll(get_settings()) == {}  # its lease is live: nobody submits it yet
    lapsed = sealed["lease_until"] + dt.timedelta(seconds=1)
    assert poll(get_settings(), now=lapsed)[batch_id] in ("submitted", "running", "done")
    poll_until_settled()
    assert jobs(stack) == [batch_id]  # created once, by the poll
    assert len(lines_of(batch_id)) == len(lines_of()) == 2  # both lines in it, none twice
    runs = finals(stack, expect=2)
    assert all(runs[tid][-1].outcome == "completed" for tid in ids.values())


def test_the_sweep_leaves_a_run_waiting_on_its_batch_alone_until_batch_mode_stops(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    events = clients.publisher().create_topic(name=f"projects/{PROJECT}/topics/events-{unique}")
    batch_env(
        monkeypatch,
        TABSCRIBE_BATCH_MAX="50",
        TABSCRIBE_STALL_S="10",
        TABSCRIBE_EVENTS_TOPIC=events.name.rsplit("/", 1)[1],
    )
    register(stack)
    blob = stack.upload(
        "voice.m4a", f"uploads/ana/{unique}.m4a", "audio/mp4", {"priority": "batch"}
    )
    stack.deliver(blob)
    tid = transcription_id(blob.bucket.name, blob.name)
    doc = transcription_doc(blob)
    now = dt.datetime.now(dt.UTC)
    life = dt.timedelta(seconds=collector.JOB_LIFE_S["developer"])  # then the job has EXPIRED
    assert doc["status"] == "queued" and doc["lease"]["expires_at"] > now + life
    assert tid not in sweep(get_settings(), now=now + life)
    assert sweep(get_settings(), now=now + life + dt.timedelta(hours=3))[tid] == "failed"
    assert transcription_doc(blob)["status"] == "failed"


def test_an_overwrite_while_queued_drops_the_old_line_s_answer(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    batch_env(monkeypatch, TABSCRIBE_BATCH_MAX="50", TABSCRIBE_BATCH_WAIT_S="0")
    register(stack)
    name = f"uploads/ana/{unique}.m4a"
    old = stack.upload("voice.m4a", name, "audio/mp4", {"priority": "batch"})
    stack.deliver(old)
    new = stack.upload("voice.m4a", name, "audio/mp4", {"priority": "standard"})
    stack.deliver(new)  # streamed at once: the new generation's run
    assert transcription_doc(new)["run"]["generation"] == str(new.generation)
    poll_until_settled()
    [line] = lines_of()
    assert line["outcome"] == "superseded"
    chunks = stack.results(expect_final=2, timeout=5)
    assert {c.generation for c in chunks} == {str(new.generation)}
