"""The Files API's limits (decision 0016): a file expires 48 h after its upload, and a project
stores at most 20 GB of files (declared sizes)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from google.genai import errors, types

import standin
from standin.files import LIFETIME_S, QUOTA_BYTES
from tests.standin.sdk import SAMPLE, developer, raw, start_upload, stream, upload_active

GIB = 1024**3


def started(stand_in: standin.StandIn, size: int) -> tuple[int, dict[str, object]]:
    """Open a resumable upload declaring `size` bytes; (status, JSON body)."""
    status, _, data = start_upload(stand_in.url, size)
    return status, json.loads(data or b"{}")


def test_a_file_expires_48_hours_after_its_upload(stand_in: standin.StandIn) -> None:
    client = developer(stand_in.url)
    file = upload_active(client, str(SAMPLE))
    assert file.expiration_time and file.create_time
    assert file.expiration_time - file.create_time == dt.timedelta(seconds=LIFETIME_S)
    stand_in.configure(clock_shift_s=LIFETIME_S - 60)  # a minute before: still there
    part = types.Part.from_uri(file_uri=file.uri or "", mime_type=file.mime_type or "")
    assert stream(client, part)[0]
    stand_in.configure(clock_shift_s=LIFETIME_S)
    with pytest.raises(errors.ClientError) as gone:
        client.files.get(name=file.name or "")
    assert gone.value.code == 403 and "may not exist" in (gone.value.message or "")
    with pytest.raises(errors.ClientError) as refused:
        stream(client, part)
    assert refused.value.code == 403
    assert stand_in.state.files.all() == []


def test_uploads_past_20_gb_per_project_are_refused_with_the_quota(
    stand_in: standin.StandIn,
) -> None:
    for _ in range(QUOTA_BYTES // (2 * GIB)):  # ten 2 GB uploads fill the project
        assert started(stand_in, 2 * GIB)[0] == 200
    status, body = started(stand_in, 1)
    error = body["error"]
    assert isinstance(error, dict)
    assert status == error["code"] == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    [quota] = [d for d in error["details"] if d["@type"].endswith("QuotaFailure")]
    assert quota["violations"][0]["quotaId"] == "FileStorageBytesPerProject"
    assert quota["violations"][0]["quotaValue"] == str(QUOTA_BYTES)
    stand_in.reset()  # forgets the uploads: room again
    assert started(stand_in, 2 * GIB)[0] == 200


def test_the_stand_in_counts_uploads(stand_in: standin.StandIn) -> None:
    client = developer(stand_in.url)
    upload_active(client, str(SAMPLE))
    upload_active(client, str(SAMPLE))
    view = json.loads(raw(stand_in.url + "/_standin/files", "GET")[2])
    assert view["uploads"] == 2 and len(view["files"]) == 2
