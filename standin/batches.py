"""Batch jobs on both APIs, as their REST protocols serve them (docs/standin.md, "Batch jobs").

Developer API: `models/{m}:batchGenerateContent` (inlined requests, or a JSONL file uploaded
through the Files API), `batches/{id}` get / list / `:cancel` / delete, the answers inlined or in a
generated responses file (`files/{id}:download`). Vertex AI: `batchPredictionJobs` create / get /
list / `:cancel` / delete, a JSONL input in Cloud Storage and `predictions.jsonl` written under
the output prefix, both through the Storage emulator (`standin.gcs`).

Every line is answered by the stand-in itself: it is sent as a `generateContent` request to the
running server (the same path as a standard call: authored answers, clips, faults, the call log,
marked `batch`), so a line's answer is exactly the standard answer to its body. A job runs its
lines in a thread as soon as it is created and ends once they are answered and `batch_s` seconds
(a setting) have passed, or when its service's time is up (`LIFETIME_S`). Job faults (`failed`,
`expired`, `partial`, `reordered`) are queued with `/_standin/batches`."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from functions.core.catalog import Mode
from standin import gcs
from standin.errors import STATUS_NAMES, ApiError, invalid
from standin.protocol import JSON
from standin.rules import Where, served_model
from standin.versions import version_pattern

# "keep the total request size under 20MB" (ai.google.dev/gemini-api/docs/batch-mode)
INLINE_LIMIT_BYTES = 20 * 1024 * 1024
# How long a job may take before its service ends it (docs/standin.md): the Developer API
# expires one pending or running for more than 48 h; Vertex fails one still running 24 h after it
# started (here: at once), its completed rows exported.
LIFETIME_S: dict[Mode, float] = {"developer": 48 * 3600.0, "vertex": 24 * 3600.0}
TIMED_OUT: dict[Mode, Ending] = {"developer": "EXPIRED", "vertex": "FAILED"}
JOB_FAULTS = ("failed", "expired", "partial", "reordered")
BATCH_HEADER = "X-Standin-Batch"  # marks a line's generateContent call in the call log
DEVELOPER_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch"
OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput"
Ending = Literal["SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"]
# google.rpc.Code of a status name: a Status inside a resource (a job's or a line's error)
# carries the canonical code, not the HTTP one
CANONICAL_CODES = {
    "CANCELLED": 1,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}


@dataclass
class Line:
    """One request of a job and what its output line echoes besides: Developer `metadata`
    (inlined) or `key` (file); Vertex, nothing (its output line echoes the request itself)."""

    request: JSON
    echo: JSON


@dataclass
class Job:
    mode: Mode
    job_id: str
    where: Where
    model: str
    display_name: str
    created: float
    body: JSON  # the create request's job, echoed (inputConfig, outputConfig…)
    lines: list[Line] | None = None  # None until read (Vertex reads its input when it runs)
    fault: str | None = None
    inlined: bool = False
    started: bool = False  # its lines are being answered
    answers: list[JSON] = field(default_factory=list)
    output: JSON = field(default_factory=dict)  # where the answers are (job view)
    error: JSON | None = None
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: float | None = None
    ended: float | None = None
    ending: Ending | None = None

    @property
    def name(self) -> str:
        if self.mode == "developer":
            return f"batches/{self.job_id}"
        w = self.where
        return f"projects/{w.project}/locations/{w.location}/batchPredictionJobs/{self.job_id}"


class Batches:
    """The jobs the stand-in holds, and the queue of job faults."""

    def __init__(self, clock: Callable[[], float], delay_s: Callable[[], float]) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._delay_s = delay_s
        self._jobs: dict[str, Job] = {}
        self._faults: list[str] = []

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._faults.clear()

    def set_faults(self, faults: list[str]) -> None:
        unknown = sorted(set(faults) - set(JOB_FAULTS))
        if unknown:
            raise ValueError(f"unknown batch fault(s) {unknown}; known: {list(JOB_FAULTS)}")
        with self._lock:
            self._faults = list(faults)

    def pending_faults(self) -> list[str]:
        with self._lock:
            return list(self._faults)

    def add(self, job: Job, answer: Answer, files: Any) -> Job:
        """Hold `job` and start running it; it takes the head of the fault queue."""
        with self._lock:
            job.fault = self._faults.pop(0) if self._faults else None
            self._jobs[job.job_id] = job
        threading.Thread(target=self._run, args=(job, answer, files), daemon=True).start()
        return job

    def get(self, mode: Mode, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.mode != mode:
            raise ApiError(404, "Requested entity was not found.")
        self._settle(job)
        return job

    def all(self, mode: Mode) -> list[Job]:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.mode == mode]
        for job in jobs:
            self._settle(job)
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def cancel(self, job: Job) -> None:
        if job.ending is not None:
            raise ApiError(
                400, f"Batch {job.name} is already in a terminal state.", "FAILED_PRECONDITION"
            )
        job.cancelled = self._clock()
        self._settle(job)

    def delete(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.job_id, None)

    def state(self, job: Job) -> str:
        """The job's state as `JOB_STATE_*` (Developer writes it `BATCH_STATE_*`)."""
        if job.ending is not None:
            return f"JOB_STATE_{job.ending}"
        return "JOB_STATE_RUNNING" if job.started else "JOB_STATE_PENDING"

    def _settle(self, job: Job) -> None:
        """End the job once it is cancelled, or answered and its time has come, or out of time."""
        if job.ending is not None:
            return
        now, delay, lifetime = self._clock(), self._delay_s(), LIFETIME_S[job.mode]
        if job.cancelled is not None:
            job.ending, job.ended = "CANCELLED", job.cancelled
        elif delay >= lifetime and now - job.created >= lifetime:
            job.ending, job.ended = TIMED_OUT[job.mode], job.created + lifetime
            if job.ending == "FAILED" and job.error is None:
                job.error = rpc_status("DEADLINE_EXCEEDED", TIMED_OUT_MESSAGE)
        elif job.done.is_set() and now - job.created >= delay:
            job.ended = now
            job.ending = "SUCCEEDED" if job.error is None else "FAILED"
            if job.fault == "expired":
                job.ending = "EXPIRED"
            elif job.fault == "partial" and job.mode == "vertex":
                job.ending = "PARTIALLY_SUCCEEDED"

    def _run(self, job: Job, answer: Answer, files: Any) -> None:
        try:
            if job.fault == "failed":
                job.error = rpc_status("INTERNAL", "Batch job failed (injected fault).")
            elif job.fault != "expired":
                run_lines(job, answer, files)
        except ApiError as exc:  # unreadable input: the job fails
            job.error = rpc_status(exc.status, exc.message)
        finally:
            job.done.set()


Answer = Callable[[Job, Line], tuple[JSON | None, JSON | None]]
TIMED_OUT_MESSAGE = "The batch job could not be completed within 24 hours of running."


def run_lines(job: Job, answer: Answer, files: Any) -> None:
    """Answer every line (unless cancelled; `partial`: the first half), then write the output
    where the mode puts it (`reordered`: its lines in the reverse of the input's order)."""
    if job.lines is None:
        job.lines = read_vertex_input(job)
    job.started = True
    answering = job.lines[: (len(job.lines) + 1) // 2] if job.fault == "partial" else job.lines
    for line in answering:
        if job.cancelled is not None:
            break  # what was answered is written, as the service exports completed rows
        response, error = answer(job, line)
        job.answers.append(output_line(job, line, response, error))
    if job.fault == "reordered":
        job.answers.reverse()
    write_output(job, files)


def rpc_status(status: str, message: str) -> JSON:
    """A google.rpc.Status: the canonical code of `status` and the message."""
    return {"code": CANONICAL_CODES.get(status, 2), "message": message}


def output_line(job: Job, line: Line, response: JSON | None, error: JSON | None) -> JSON:
    """One answer in the mode's line format: Developer `{key|metadata, response|error}` (the
    error a google.rpc.Status), Vertex `{status, processed_time, request, response}` (`status`
    empty when the request succeeded, else its REST error as JSON; the request as read)."""
    if job.mode == "developer":
        if error is not None:
            return {**line.echo, "error": rpc_status(error["status"], error["message"])}
        return {**line.echo, "response": response}
    status = "" if error is None else json.dumps({"error": error})
    row: JSON = {"status": status, "processed_time": rfc3339(time.time()), "request": line.request}
    if response is not None:
        row["response"] = response
    return row


def write_output(job: Job, files: Any) -> None:
    text = "".join(json.dumps(row) + "\n" for row in job.answers)
    if job.mode == "vertex":
        prefix = job.body["outputConfig"]["gcsDestination"]["outputUriPrefix"].rstrip("/")
        stamp = dt.datetime.fromtimestamp(job.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        directory = f"{prefix}/prediction-model-{stamp}"
        gcs.write_text(f"{directory}/predictions.jsonl", text, job.where.project, "text/plain")
        job.output = {"gcsOutputDirectory": directory}
    elif job.inlined:
        job.output = {"inlinedResponses": {"inlinedResponses": job.answers}}
    else:
        record = files.generated(f"batch-{job.job_id}", "application/jsonl", text.encode())
        job.output = {"responsesFile": f"files/{record.file_id}"}


def read_vertex_input(job: Job) -> list[Line]:
    uris = job.body["inputConfig"]["gcsSource"]["uris"]
    rows = [row for uri in uris for row in jsonl(gcs.read_text(uri, job.where.project))]
    return [vertex_line(n, row) for n, row in enumerate(rows, 1)]


def json_object(raw: bytes | str, what: str) -> JSON:
    """A JSON object as sent (keys untouched: a line's `metadata` and fields are echoed)."""
    try:
        found = json.loads(raw or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"Invalid JSON payload received in {what}. {exc}") from None
    if not isinstance(found, dict):
        raise invalid(f"Invalid JSON payload received in {what}. Expected an object.")
    return found


def jsonl(text: str) -> list[JSON]:
    lines = enumerate(text.splitlines(), 1)
    return [json_object(raw, f"line {n} of the input") for n, raw in lines if raw.strip()]


def vertex_line(n: int, row: JSON) -> Line:
    """A Vertex input line: `{"request": {…}}` and nothing else (the only field its reference
    documents for Cloud Storage JSONL; nothing else is carried to the output)."""
    if set(row) != {"request"} or not isinstance(row["request"], dict):
        raise invalid(
            f'Line {n} of the input is not {{"request": {{…}}}}: it has {sorted(row)}. The '
            "stand-in takes exactly one `request` object a line (a request's own `labels` "
            "travel with it to the output)."
        )
    return Line(row["request"], {})


def answer_by_loopback(base_url: str) -> Answer:
    """Answer a line as a standard `generateContent` call to the stand-in at `base_url`:
    (the response, None) or (None, the REST error: `code`, `message`, `status`)."""

    def answer(job: Job, line: Line) -> tuple[JSON | None, JSON | None]:
        w = job.where
        if job.mode == "developer":
            path, auth = f"/{w.version}/models/{job.model}", {"x-goog-api-key": "batch"}
        else:
            path = f"/{w.version}/projects/{w.project}/locations/{w.location}"
            path += f"/publishers/google/models/{job.model}"
            auth = {"Authorization": "Bearer batch"}
        body = {k: v for k, v in line.request.items() if k != "model"}
        request = urllib.request.Request(
            f"{base_url}{path}:generateContent",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", BATCH_HEADER: job.name, **auth},
        )
        try:
            with urllib.request.urlopen(request, timeout=3600) as reply:
                return json.loads(reply.read()), None
        except urllib.error.HTTPError as error:
            found = json.loads(error.read() or b"{}").get("error") or {}
            code = int(found.get("code") or error.code)
            status = found.get("status") or STATUS_NAMES.get(code, "UNKNOWN")
            return None, {"code": code, "message": found.get("message", ""), "status": status}

    return answer


# -- the REST resources -------------------------------------------------------------------------


def developer_view(batches: Batches, job: Job) -> JSON:
    """A Developer batch as the service returns it: an Operation whose metadata is the batch."""
    state = batches.state(job).replace("JOB_STATE_", "BATCH_STATE_")
    metadata: JSON = {
        "@type": DEVELOPER_TYPE,
        "name": job.name,
        "model": f"models/{job.model}",
        "displayName": job.display_name,
        "createTime": rfc3339(job.created),
        "updateTime": rfc3339(job.ended or job.created),
        "batchStats": developer_stats(job),
        "state": state,
    }
    view: JSON = {"name": job.name, "metadata": metadata}
    if job.ending is not None:
        metadata["endTime"] = rfc3339(job.ended or job.created)
        view["done"] = True
        if job.output and job.ending != "EXPIRED":  # "will not have any results to retrieve"
            metadata["output"] = job.output
            view["response"] = {"@type": OUTPUT_TYPE, **job.output}
        if job.error is not None:
            view["error"] = job.error
    return view


def developer_stats(job: Job) -> JSON:
    total = len(job.lines or [])
    failed = sum(1 for a in job.answers if "error" in a)
    done = len(job.answers)
    return {
        "requestCount": str(total),
        "successfulRequestCount": str(done - failed),
        "failedRequestCount": str(failed),
        "pendingRequestCount": str(total - done),
    }


def vertex_view(batches: Batches, job: Job) -> JSON:
    """A Vertex BatchPredictionJob."""
    view: JSON = {
        "name": job.name,
        "displayName": job.display_name,
        "model": f"publishers/google/models/{job.model}",
        "inputConfig": job.body["inputConfig"],
        "outputConfig": job.body["outputConfig"],
        "state": batches.state(job),
        "createTime": rfc3339(job.created),
        "updateTime": rfc3339(job.ended or job.created),
    }
    if job.started:
        view["startTime"] = rfc3339(job.created)
    if job.ending is not None:
        view["endTime"] = rfc3339(job.ended or job.created)
        failed = sum(1 for a in job.answers if a["status"])
        view["completionStats"] = {
            "successfulCount": str(len(job.answers) - failed),
            "failedCount": str(failed),
            "incompleteCount": str(len(job.lines or []) - len(job.answers)),
        }
        if job.output:
            view["outputInfo"] = job.output
        if job.error is not None:
            view["error"] = job.error
    return view


def rfc3339(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id(mode: Mode) -> str:
    if mode == "vertex":
        return str(secrets.randbelow(9 * 10**18) + 10**18)  # 19 digits, as Vertex's IDs
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


def page(items: list[JSON], query: dict[str, str]) -> tuple[list[JSON], str | None]:
    """`pageSize` items from `pageToken` (an offset), and the next token if more remain."""
    size = int(query.get("pageSize") or 50)
    if not 0 < size <= 1000:
        raise invalid(f"Invalid page_size: {size} (1 to 1000).")
    start = int(query.get("pageToken") or 0)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


# -- handlers (called with the server's request handler) ----------------------------------------


def loopback_url(handler: Any) -> str:
    host = str(handler.server.server_address[0])
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{handler.server.port}"


def new_job(handler: Any, mode: Mode, where: Where, model: str, body: JSON) -> Job:
    state = handler.state
    served_model(model, mode, where, state.config.date())
    return Job(
        mode=mode,
        job_id=new_id(mode),
        where=where,
        model=model,
        display_name=str(body.get("displayName") or ""),
        created=state.clock(),
        body=body,
    )


def developer_create(handler: Any, version: str, model: str) -> None:
    handler.require_api_key()
    batch = json_object(handler.body, "the request").get("batch") or {}
    where = Where(version, method="batchGenerateContent")
    job = new_job(handler, "developer", where, model, batch)
    source = batch.get("inputConfig") or {}
    if "requests" in source:
        if len(handler.body) > INLINE_LIMIT_BYTES:
            raise invalid(
                f"The inlined requests take {len(handler.body)} bytes; the limit is "
                f"{INLINE_LIMIT_BYTES} bytes. Use an input file for larger batches."
            )
        items = (source["requests"] or {}).get("requests") or []
        job.lines = [Line(i.get("request") or {}, _echo(i, "metadata")) for i in items]
        job.inlined = True
    elif "fileName" in source:
        record = handler.state.files.peek(str(source["fileName"]).removeprefix("files/"))
        text = (record.data or b"").decode("utf-8", errors="replace")
        job.lines = [Line(row.get("request") or {}, _echo(row, "key")) for row in jsonl(text)]
    else:
        raise invalid("batch.input_config needs `requests` or `file_name`.")
    if not job.lines:
        raise invalid("A batch needs at least one request.")
    view = developer_view(handler.state.batches, job)
    add(handler, job)
    handler.send_json(200, view)


def _echo(item: JSON, key: str) -> JSON:
    return {key: item[key]} if key in item else {}


def vertex_create(handler: Any, version: str, project: str, location: str) -> None:
    handler.require_bearer()
    body = json_object(handler.body, "the request")
    model = str(body.get("model") or "")
    if not model.startswith("publishers/google/models/"):
        raise invalid(f"Invalid model name: {model!r} (publishers/google/models/MODEL).")
    source = (body.get("inputConfig") or {}).get("gcsSource") or {}
    prefix = ((body.get("outputConfig") or {}).get("gcsDestination") or {}).get("outputUriPrefix")
    if not source.get("uris") or not prefix:
        raise invalid(
            "The stand-in serves batch prediction from Cloud Storage only: inputConfig."
            "gcsSource.uris and outputConfig.gcsDestination.outputUriPrefix are required."
        )
    if not gcs.configured():
        raise invalid(
            "The stand-in reads and writes gs:// only through the Storage emulator "
            "(STORAGE_EMULATOR_HOST is not set)."
        )
    where = Where(version, project, location, "batchPredictionJobs")
    job = new_job(handler, "vertex", where, model.rsplit("/", 1)[-1], body)
    view = vertex_view(handler.state.batches, job)
    add(handler, job)
    handler.send_json(200, view)


def add(handler: Any, job: Job) -> None:
    handler.state.batches.add(job, answer_by_loopback(loopback_url(handler)), handler.state.files)


def developer_get(handler: Any, version: str, job_id: str) -> None:
    handler.require_api_key()
    batches = handler.state.batches
    handler.send_json(200, developer_view(batches, batches.get("developer", job_id)))


def developer_list(handler: Any, version: str) -> None:
    handler.require_api_key()
    batches = handler.state.batches
    items, token = page(
        [developer_view(batches, j) for j in batches.all("developer")], handler.query
    )
    handler.send_json(200, {"operations": items, **({"nextPageToken": token} if token else {})})


def developer_cancel(handler: Any, version: str, job_id: str) -> None:
    handler.require_api_key()
    batches = handler.state.batches
    batches.cancel(batches.get("developer", job_id))
    handler.send_json(200, {})


def developer_delete(handler: Any, version: str, job_id: str) -> None:
    handler.require_api_key()
    batches = handler.state.batches
    batches.delete(batches.get("developer", job_id))
    handler.send_json(200, {})


def vertex_get(handler: Any, version: str, project: str, location: str, job_id: str) -> None:
    handler.require_bearer()
    batches = handler.state.batches
    handler.send_json(200, vertex_view(batches, batches.get("vertex", job_id)))


def vertex_list(handler: Any, version: str, project: str, location: str) -> None:
    handler.require_bearer()
    batches = handler.state.batches
    jobs = [
        j
        for j in batches.all("vertex")
        if (j.where.project, j.where.location) == (project, location)
    ]
    items, token = page([vertex_view(batches, j) for j in jobs], handler.query)
    body = {"batchPredictionJobs": items, **({"nextPageToken": token} if token else {})}
    handler.send_json(200, body)


def vertex_cancel(handler: Any, version: str, project: str, location: str, job_id: str) -> None:
    handler.require_bearer()
    batches = handler.state.batches
    batches.cancel(batches.get("vertex", job_id))
    handler.send_json(200, {})


def vertex_delete(handler: Any, version: str, project: str, location: str, job_id: str) -> None:
    handler.require_bearer()
    batches = handler.state.batches
    job = batches.get("vertex", job_id)
    batches.delete(job)
    operation = f"projects/{project}/locations/{location}/operations/{new_id('vertex')}"
    handler.send_json(200, {"name": operation, "done": True})


def download(handler: Any, version: str, file_id: str) -> None:
    """files/{id}:download?alt=media: a generated file's bytes."""
    handler.require_api_key()
    record = handler.state.files.peek(file_id)
    if record.source != "GENERATED" or record.data is None:
        raise invalid(f"Only generated files can be downloaded; files/{file_id} was uploaded.")
    handler.send_response(200)
    handler.send_header("Content-Type", record.mime_type)
    handler.send_header("Content-Length", str(len(record.data)))
    handler.end_headers()
    handler.wfile.write(record.data)


def control(handler: Any) -> None:
    """/_standin/batches: GET the jobs and the pending job faults; POST `{"faults": […]}`."""
    batches = handler.state.batches
    if handler.command == "POST":
        batches.set_faults(list(json.loads(handler.body or b"{}").get("faults") or []))
    jobs = [
        {
            "name": j.name,
            "mode": j.mode,
            "state": batches.state(j),
            "fault": j.fault,
            "lines": len(j.lines or []),
            "answered": len(j.answers),
        }
        for mode in ("developer", "vertex")
        for j in batches.all(mode)
    ]
    handler.send_json(200, {"jobs": jobs, "faults": batches.pending_faults()})


DEV = version_pattern("developer")
VERTEX = version_pattern("vertex") + r"/projects/([^/]+)/locations/([^/]+)/batchPredictionJobs"
ROUTES: list[tuple[str, str, Callable[..., None]]] = [
    ("POST", rf"/{DEV}/models/([^/:]+):batchGenerateContent", developer_create),
    ("GET", rf"/{DEV}/batches", developer_list),
    ("GET", rf"/{DEV}/batches/([^/:]+)", developer_get),
    ("POST", rf"/{DEV}/batches/([^/:]+):cancel", developer_cancel),
    ("DELETE", rf"/{DEV}/batches/([^/:]+)", developer_delete),
    ("GET", rf"/(?:download/)?{DEV}/files/([^/:]+):download", download),
    ("POST", rf"/{VERTEX}", vertex_create),
    ("GET", rf"/{VERTEX}", vertex_list),
    ("GET", rf"/{VERTEX}/(\d+)", vertex_get),
    ("POST", rf"/{VERTEX}/(\d+):cancel", vertex_cancel),
    ("DELETE", rf"/{VERTEX}/(\d+)", vertex_delete),
    ("GET", r"/_standin/batches", control),
    ("POST", r"/_standin/batches", control),
]
