"""Batch jobs on the stand-in through the real SDK (`client.batches`), in both modes: inlined,
file and Cloud Storage input; every line answered as the standard call with the same body; each
output line named as its service names it (Developer: `key`; Vertex: the echoed request); job
faults; a job's life per service."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

import standin
from tests.standin.sdk import CLIP, GS_URI, MODEL, developer, raw, vertex
from tests.standin.test_standin import free_port

TERMINAL = {
    types.JobState.JOB_STATE_SUCCEEDED,
    types.JobState.JOB_STATE_PARTIALLY_SUCCEEDED,
    types.JobState.JOB_STATE_FAILED,
    types.JobState.JOB_STATE_CANCELLED,
    types.JobState.JOB_STATE_EXPIRED,
}
BUCKET = "batch-bucket"
MEDIA_URI = f"gs://{BUCKET}/media/clip.mp4"  # CLIP's bytes, matched by their hash
INLINE = {"inlineData": {"mimeType": "video/mp4", "data": base64.b64encode(CLIP).decode()}}


def rest_request(part: dict[str, Any], max_tokens: int | None = None) -> dict[str, Any]:
    """A generateContent body as the REST reference writes it (a JSONL line's request)."""
    body: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [part, {"text": "Transcribe."}]}]
    }
    if max_tokens:
        body["generationConfig"] = {"maxOutputTokens": max_tokens}
    return body


def standard(client: genai.Client, part: types.Part) -> types.GenerateContentResponse:
    return client.models.generate_content(model=MODEL, contents=[part, "Transcribe."])


def finished(client: genai.Client, name: str) -> types.BatchJob:
    for _ in range(200):
        job = client.batches.get(name=name)
        if job.state in TERMINAL:
            return job
        time.sleep(0.02)
    raise AssertionError(f"{name} never ended")


def same_answer(response: dict[str, Any], expected: types.GenerateContentResponse) -> None:
    """A line's response is the standard answer: its text and its usage."""
    got = types.GenerateContentResponse.model_validate(response)
    assert got.text == expected.text and got.text
    assert got.usage_metadata == expected.usage_metadata


@pytest.fixture(scope="module")
def storage_emulator() -> Iterator[Any]:
    from gcp_storage_emulator.server import create_server
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    port = free_port()
    emulator = create_server("127.0.0.1", port, in_memory=True)
    emulator.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        client = storage.Client(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        bucket = client.create_bucket(BUCKET)
        bucket.blob("media/clip.mp4").upload_from_string(CLIP)
        yield bucket
    emulator.stop()


# -- Developer API --------------------------------------------------------------------------------


def test_developer_inlined_requests_are_answered_as_standard_calls(
    stand_in: standin.StandIn,
) -> None:
    client = developer(stand_in.url)
    part = types.Part.from_bytes(data=CLIP, mime_type="video/mp4")
    job = client.batches.create(
        model=MODEL,
        src=[
            {"contents": [part, "Transcribe."], "metadata": {"run_key": "t1/r1/0"}},
            {
                "contents": ["No media: the stand-in refuses it."],
                "metadata": {"run_key": "t2/r1/0"},
            },
        ],
        config={"display_name": "archive-1"},
    )
    assert job.name and job.name.startswith("batches/")
    assert job.state == types.JobState.JOB_STATE_PENDING and job.display_name == "archive-1"
    done = finished(client, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.dest and done.dest.inlined_responses
    ok, refused = done.dest.inlined_responses
    assert ok.metadata == {"run_key": "t1/r1/0"} and ok.response and ok.error is None
    same_answer(ok.response.model_dump(exclude_none=True), standard(client, part))
    assert refused.metadata == {"run_key": "t2/r1/0"} and refused.response is None
    assert refused.error and refused.error.code == 3  # INVALID_ARGUMENT (the call's 400)
    assert "offline Gemini API stand-in" in str(refused.error.message)
    lines = [c for c in stand_in.calls() if c.get("batch") == job.name]
    assert [c["status"] for c in lines] == [200, 400]  # each line a generateContent call


def test_developer_file_input_gives_a_downloadable_responses_file(
    stand_in: standin.StandIn, tmp_path: Any
) -> None:
    stand_in.configure(faults={"status": 503, "times": 1})  # the first line fails
    client = developer(stand_in.url)
    source = tmp_path / "batch.jsonl"
    rows = [
        {"key": "t1/r1/0", "request": rest_request(INLINE)},
        {"key": "t1/r1/1", "request": rest_request(INLINE, max_tokens=20)},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    uploaded = client.files.upload(file=source, config={"mime_type": "jsonl"})
    assert uploaded.name
    job = client.batches.create(model=MODEL, src=uploaded.name)
    assert job.name
    done = finished(client, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.dest and done.dest.file_name and done.dest.file_name.startswith("files/batch-")
    lines = [json.loads(x) for x in client.files.download(file=done.dest.file_name).splitlines()]
    assert [line["key"] for line in lines] == ["t1/r1/0", "t1/r1/1"]
    error = lines[0]["error"]  # a google.rpc.Status: 14 is UNAVAILABLE (the call's 503)
    assert error["code"] == 14 and "response" not in lines[0]
    assert error["message"].startswith("The model is overloaded.")
    config = types.GenerateContentConfig(max_output_tokens=20)
    part = types.Part.from_bytes(data=CLIP, mime_type="video/mp4")
    expected = client.models.generate_content(
        model=MODEL, contents=[part, "Transcribe."], config=config
    )
    same_answer(lines[1]["response"], expected)
    assert expected.candidates and expected.candidates[0].finish_reason == "MAX_TOKENS"


def test_developer_list_cancel_and_delete(stand_in: standin.StandIn) -> None:
    stand_in.configure(batch_s=60)
    client = developer(stand_in.url)
    src = [{"contents": [types.Part.from_bytes(data=CLIP, mime_type="video/mp4"), "T."]}]
    first = client.batches.create(model=MODEL, src=src)
    second = client.batches.create(model=MODEL, src=src)
    assert first.name and second.name
    listed = list(client.batches.list(config={"page_size": 1}))  # two pages
    assert {j.name for j in listed} == {first.name, second.name}
    assert client.batches.get(name=first.name).state == types.JobState.JOB_STATE_RUNNING
    client.batches.cancel(name=first.name)
    assert client.batches.get(name=first.name).state == types.JobState.JOB_STATE_CANCELLED
    with pytest.raises(errors.ClientError) as again:
        client.batches.cancel(name=first.name)
    assert again.value.code == 400 and again.value.status == "FAILED_PRECONDITION"
    client.batches.delete(name=second.name)
    with pytest.raises(errors.ClientError) as gone:
        client.batches.get(name=second.name)
    assert gone.value.code == 404


def test_developer_batch_checks_the_model_and_the_inline_size(stand_in: standin.StandIn) -> None:
    client = developer(stand_in.url)
    with pytest.raises(errors.ClientError) as unknown:
        client.batches.create(model="gemini-9-foo", src=[{"contents": ["x"]}])
    assert unknown.value.code == 404 and "batchGenerateContent" in str(unknown.value.message)
    big = types.Part.from_bytes(data=b"\0" * (16 * 1024 * 1024), mime_type="video/mp4")
    with pytest.raises(errors.ClientError) as too_big:  # 16 MiB of bytes is ~21 MiB of base64
        client.batches.create(model=MODEL, src=[{"contents": [big, "T."]}])
    assert too_big.value.code == 400 and "20971520" in str(too_big.value.message)


@pytest.mark.parametrize("fault", ["failed", "expired"])
def test_developer_job_faults(stand_in: standin.StandIn, fault: str) -> None:
    status, _, _ = raw(
        f"{stand_in.url}/_standin/batches", body=json.dumps({"faults": [fault]}).encode()
    )
    assert status == 200
    client = developer(stand_in.url)
    src = [{"contents": [types.Part.from_bytes(data=CLIP, mime_type="video/mp4"), "T."]}]
    job = client.batches.create(model=MODEL, src=src)
    assert job.name
    done = finished(client, job.name)
    assert done.state == types.JobState(f"JOB_STATE_{fault.upper()}")
    assert not (done.dest and done.dest.inlined_responses)  # nothing answered
    assert not [c for c in stand_in.calls() if c.get("batch")]


def test_a_developer_job_pending_or_running_past_48_hours_expires(
    stand_in: standin.StandIn,
) -> None:
    stand_in.configure(batch_s=72 * 3600)
    client = developer(stand_in.url)
    src = [{"contents": [types.Part.from_bytes(data=CLIP, mime_type="video/mp4"), "T."]}]
    job = client.batches.create(model=MODEL, src=src)
    assert job.name
    stand_in.configure(clock_shift_s=47 * 3600)
    assert client.batches.get(name=job.name).state == types.JobState.JOB_STATE_RUNNING
    stand_in.configure(clock_shift_s=48 * 3600)
    expired = client.batches.get(name=job.name)
    assert expired.state == types.JobState.JOB_STATE_EXPIRED
    assert not (expired.dest and expired.dest.inlined_responses)  # "no results to retrieve"


# -- Vertex AI ------------------------------------------------------------------------------------


def test_vertex_reads_and_writes_jsonl_in_cloud_storage(
    stand_in: standin.StandIn, storage_emulator: Any
) -> None:
    clip = {"fileData": {"fileUri": MEDIA_URI, "mimeType": "video/mp4"}}
    rows = [
        {"request": {**rest_request(clip), "labels": {"line": "t1-r1-0"}}},
        {"request": {**rest_request({"text": "no media"}), "labels": {"line": "t2-r1-0"}}},
    ]
    storage_emulator.blob("in/batch.jsonl").upload_from_string(
        "".join(json.dumps(r) + "\n" for r in rows)
    )
    client = vertex(stand_in.url)
    job = client.batches.create(
        model=MODEL, src=f"gs://{BUCKET}/in/batch.jsonl", config={"dest": f"gs://{BUCKET}/out"}
    )
    assert job.name and "/batchPredictionJobs/" in job.name
    done = finished(client, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.completion_stats and done.completion_stats.successful_count == 1
    assert done.completion_stats.failed_count == 1
    assert done.output_info and done.output_info.gcs_output_directory
    directory = done.output_info.gcs_output_directory.removeprefix(f"gs://{BUCKET}/")
    assert directory.startswith("out/prediction-model-")
    text = storage_emulator.blob(f"{directory}/predictions.jsonl").download_as_text()
    ok, refused = [json.loads(x) for x in text.splitlines()]
    assert list(ok) == ["status", "processed_time", "request", "response"]  # no `key`
    assert ok["status"] == "" and ok["request"] == rows[0]["request"]  # the labels echoed
    same_answer(
        ok["response"],
        standard(client, types.Part.from_uri(file_uri=MEDIA_URI, mime_type="video/mp4")),
    )
    assert refused["request"]["labels"] == {"line": "t2-r1-0"} and "response" not in refused
    assert json.loads(refused["status"])["error"]["code"] == 400  # the call's REST error


def test_vertex_list_cancel_and_job_faults(
    stand_in: standin.StandIn, storage_emulator: Any
) -> None:
    storage_emulator.blob("in/one.jsonl").upload_from_string(
        json.dumps(
            {"request": rest_request({"fileData": {"fileUri": MEDIA_URI, "mimeType": "video/mp4"}})}
        )
    )
    client = vertex(stand_in.url)
    src, dest = f"gs://{BUCKET}/in/one.jsonl", {"dest": f"gs://{BUCKET}/out2"}
    stand_in.configure(batch_s=60)
    slow = client.batches.create(model=MODEL, src=src, config=dest)
    assert slow.name
    assert [j.name for j in client.batches.list()] == [slow.name]
    client.batches.cancel(name=slow.name)
    assert client.batches.get(name=slow.name).state == types.JobState.JOB_STATE_CANCELLED
    stand_in.configure(batch_s=0)
    stand_in.state.batches.set_faults(["failed", "expired"])
    failed = client.batches.create(model=MODEL, src=src, config=dest)
    expired = client.batches.create(model=MODEL, src=src, config=dest)
    assert failed.name and expired.name
    done = finished(client, failed.name)
    assert done.state == types.JobState.JOB_STATE_FAILED
    assert done.error and done.error.code == 13 and done.output_info is None
    assert finished(client, expired.name).state == types.JobState.JOB_STATE_EXPIRED
    missing = client.batches.create(model=MODEL, src=f"gs://{BUCKET}/in/nope.jsonl", config=dest)
    assert missing.name
    broken = finished(client, missing.name)
    assert broken.state == types.JobState.JOB_STATE_FAILED
    assert broken.error and "no such object" in str(broken.error.message)


def test_vertex_batch_needs_the_storage_emulator(
    stand_in: standin.StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    client = vertex(stand_in.url)
    with pytest.raises(errors.ClientError) as error:
        client.batches.create(
            model=MODEL, src=f"gs://{BUCKET}/in/x.jsonl", config={"dest": f"gs://{BUCKET}/o"}
        )
    assert error.value.code == 400 and "STORAGE_EMULATOR_HOST" in str(error.value.message)


def put_lines(bucket: Any, name: str, rows: list[dict[str, Any]]) -> str:
    bucket.blob(name).upload_from_string("".join(json.dumps(r) + "\n" for r in rows))
    return f"gs://{BUCKET}/{name}"


def test_vertex_refuses_an_input_line_with_more_than_its_request(
    stand_in: standin.StandIn, storage_emulator: Any
) -> None:
    clip = rest_request({"fileData": {"fileUri": MEDIA_URI, "mimeType": "video/mp4"}})
    src = put_lines(storage_emulator, "in/keyed.jsonl", [{"request": clip, "key": "t1"}])
    client = vertex(stand_in.url)
    job = client.batches.create(model=MODEL, src=src, config={"dest": f"gs://{BUCKET}/o3"})
    assert job.name
    done = finished(client, job.name)
    assert done.state == types.JobState.JOB_STATE_FAILED
    assert done.error and done.error.code == 3 and "['key', 'request']" in str(done.error.message)


def test_vertex_labels_are_checked_as_the_service_states_them(stand_in: standin.StandIn) -> None:
    client = vertex(stand_in.url)
    part = types.Part.from_uri(file_uri=GS_URI, mime_type="video/mp4")
    for labels in ({"line": "x" * 64}, {"Line": "x"}, {"line": "A"}, {"9line": "x"}):
        with pytest.raises(errors.ClientError) as refused:
            client.models.generate_content(
                model=MODEL, contents=[part, "T."], config={"labels": labels}
            )
        assert refused.value.code == 400 and "label" in str(refused.value.message)


@pytest.mark.parametrize("mode", ["developer", "vertex"])
def test_partial_and_reordered_job_faults(
    stand_in: standin.StandIn, storage_emulator: Any, mode: str
) -> None:
    names = ["line-0", "line-1", "line-2"]
    stand_in.state.batches.set_faults(["partial", "reordered"])
    client = vertex(stand_in.url) if mode == "vertex" else developer(stand_in.url)
    partial, reordered = [three_lines(client, storage_emulator, names) for _ in range(2)]
    ended_as = "PARTIALLY_SUCCEEDED" if mode == "vertex" else "SUCCEEDED"
    assert partial.state == types.JobState(f"JOB_STATE_{ended_as}")
    assert output_names(client, partial) == names[:2]  # the first half answered, the rest left out
    assert reordered.state == types.JobState.JOB_STATE_SUCCEEDED
    assert output_names(client, reordered) == names[::-1]


def three_lines(client: genai.Client, bucket: Any, names: list[str]) -> types.BatchJob:
    """A finished job of a line per name: Developer, a JSONL file of keyed lines; Vertex, an
    object of requests labelled `n`."""
    if client.vertexai:
        clip = {"fileData": {"fileUri": MEDIA_URI, "mimeType": "video/mp4"}}
        rows = [{"request": {**rest_request(clip), "labels": {"n": n}}} for n in names]
        src = put_lines(bucket, "in/three.jsonl", rows)
        job = client.batches.create(model=MODEL, src=src, config={"dest": f"gs://{BUCKET}/o4"})
    else:
        rows = [{"key": n, "request": rest_request(INLINE)} for n in names]
        text = "".join(json.dumps(r) + "\n" for r in rows).encode()
        uploaded = client.files.upload(file=io.BytesIO(text), config={"mime_type": "jsonl"})
        job = client.batches.create(model=MODEL, src=str(uploaded.name))
    assert job.name
    return finished(client, job.name)


def output_names(client: genai.Client, job: types.BatchJob) -> list[str]:
    """What names each output line of a job, in output order: Developer `key`; Vertex the label
    `n` of the echoed request."""
    if not client.vertexai:
        assert job.dest and job.dest.file_name
        text = client.files.download(file=job.dest.file_name).decode()
        return [json.loads(row)["key"] for row in text.splitlines()]
    return [row["request"]["labels"]["n"] for row in vertex_output(job)]


def vertex_output(job: types.BatchJob) -> list[dict[str, Any]]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    assert job.output_info and job.output_info.gcs_output_directory
    bucket, _, prefix = job.output_info.gcs_output_directory.removeprefix("gs://").partition("/")
    store = storage.Client(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    text = store.bucket(bucket).blob(f"{prefix}/predictions.jsonl").download_as_text()
    return [json.loads(line) for line in text.splitlines()]


def test_a_vertex_job_running_past_24_hours_fails_its_completed_rows_exported(
    stand_in: standin.StandIn, storage_emulator: Any
) -> None:
    clip = rest_request({"fileData": {"fileUri": MEDIA_URI, "mimeType": "video/mp4"}})
    src = put_lines(storage_emulator, "in/long.jsonl", [{"request": clip}])
    stand_in.configure(batch_s=72 * 3600)
    client = vertex(stand_in.url)
    job = client.batches.create(model=MODEL, src=src, config={"dest": f"gs://{BUCKET}/o5"})
    assert job.name
    [held] = stand_in.state.batches.all("vertex")
    assert held.done.wait(10)  # its one line answered
    stand_in.configure(clock_shift_s=23 * 3600)
    assert client.batches.get(name=job.name).state == types.JobState.JOB_STATE_RUNNING
    stand_in.configure(clock_shift_s=24 * 3600)
    failed = client.batches.get(name=job.name)
    assert failed.state == types.JobState.JOB_STATE_FAILED
    assert failed.error and failed.error.code == 4 and "24 hours" in str(failed.error.message)
    [row] = vertex_output(failed)
    assert row["status"] == "" and row["response"]["candidates"]
