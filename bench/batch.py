"""Batch mode's overhead: how long a batched upload takes beyond its job's own time.

On the local stack (the stand-in answering at once, its jobs ending as soon as their lines are
answered), `UPLOADS` interviews go up at once with `priority=batch`; batches hold `UPLOADS`
requests, so they make one batch, sealed and submitted by the last add. Each upload's time from
its upload to `completed` less its job's time (the job's `create_time` to `end_time`, as
`client.batches.get` reports it) is the overhead batch mode adds: probe and plan, the add, the
submit, the wait for the scheduler's next tick (`stack.watch.SWEEP_EVERY_S`, 10 s locally;
`sweep_schedule`, 5 min, deployed), reading the answers, publishing them as chunks, the store.

- `batch.overhead_s`: the mean overhead of the uploads;
- `batch.job_s`: the stand-in's job time, for scale.

`python -m bench.batch` (about a minute).
"""

from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor

from google.cloud.firestore_v1.base_query import FieldFilter

from bench.long import Followed, follow
from bench.report import Metric, main
from functions.core import clients
from functions.core.documents import transcription_id
from functions.core.settings import get_settings
from functions.transcribe import gemini
from stack.local import BUCKET, ROOT, LocalStack
from stack.watch import SWEEP_EVERY_S

SAMPLE = ROOT / "samples" / "interview.mp4"
UPLOADS = 8
FUNCTION_ENV = {"TABSCRIBE_BATCH_MAX": str(UPLOADS), "TABSCRIBE_BATCH_WAIT_S": "600"}


def job_s(stack: LocalStack, owner: str) -> float:
    """The time of the job that answered `owner`'s upload, as the service (the stack's
    stand-in) reports it."""
    db = clients.firestore_client()
    tid = transcription_id(BUCKET, f"uploads/{owner}/{SAMPLE.name}")
    lines = db.collection("batch_lines").where(filter=FieldFilter("transcription_id", "==", tid))
    line = next(lines.stream())
    batch = db.collection("batches").document(line.get("batch")).get()
    base_url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
    settings = get_settings().model_copy(update={"gemini_base_url": base_url})
    job = gemini.client(settings, batch.get("location")).batches.get(name=batch.get("job"))
    assert job.create_time and job.end_time
    return (job.end_time - job.create_time).total_seconds()


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-batch", function_env=FUNCTION_ENV)
    stack.start()
    try:
        owners = [f"bench-batch-{n}" for n in range(UPLOADS)]
        with ThreadPoolExecutor(UPLOADS) as pool:
            followed: list[Followed] = list(
                pool.map(lambda owner: follow(SAMPLE, owner, {"priority": "batch"}), owners)
            )
        jobs = [job_s(stack, owner) for owner in owners]
    finally:
        stack.stop()
    totals = [f.completed - f.started for f in followed if f.completed is not None]
    overheads = [total - job for total, job in zip(totals, jobs, strict=True)]
    what = f"{UPLOADS} interviews in one batch; scheduler tick every {SWEEP_EVERY_S:g} s locally"
    return [
        Metric("batch.overhead_s", round(statistics.mean(overheads), 2), "s", what),
        Metric("batch.job_s", round(statistics.mean(jobs), 2), "s", "the stand-in's job time"),
    ]


if __name__ == "__main__":
    main(run)
