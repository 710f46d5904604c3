"""A batch line's JSONL form names it by its key (decision 0034): the Gemini API's line carries
the key beside the request; Vertex's is the request alone, the key's digest in its labels, which
its output line echoes."""

from __future__ import annotations

import json

import pytest
from google.genai import types

from functions.batch import lines
from functions.batch.collector import line_key
from functions.core.documents import transcription_id
from standin.errors import ApiError
from standin.rules import check_labels
from tests.standin.sdk import MODEL, developer, vertex

URL = "http://127.0.0.1:9"  # never called: the lines are built offline
# The longest kind of key: a clip's continuation, retried
KEY = (
    line_key(
        transcription_id("uploads-tabscribe", "uploads/alice/archive/talk.mp4"),
        "1733590000123456",
        2,
        {"run_attempt": 2, "index": 12},
        3,
    )
    + "-retry"
)
REQUEST = lines.stored(
    [types.Part.from_uri(file_uri="gs://b/uploads/alice/talk.mp4", mime_type="video/mp4")],
    types.GenerateContentConfig(temperature=0.0, labels={"team": "speech"}),
)


def test_a_vertex_line_is_its_request_alone_its_key_s_digest_in_the_labels() -> None:
    row = json.loads(lines.jsonl_line(vertex(URL), MODEL, KEY, REQUEST))
    assert set(row) == {"request"}
    labels = row["request"]["labels"]
    assert labels == {"team": "speech", lines.LABEL: lines.label(KEY)}
    check_labels(labels)  # a label Vertex takes (the stand-in's reading of its rules)
    with pytest.raises(ApiError):  # the key itself is no label value: too long for one
        check_labels({lines.LABEL: KEY})
    output = {"status": "", "processed_time": "t", "request": row["request"], "response": {}}
    assert lines.labelled(output) == lines.label(KEY)  # its output line names it


def test_a_gemini_api_line_carries_its_key_and_no_labels() -> None:
    config = dict(REQUEST["config"])
    config.pop("labels")
    row = json.loads(lines.jsonl_line(developer(URL), MODEL, KEY, {**REQUEST, "config": config}))
    assert row["key"] == KEY and set(row) == {"key", "request"}
    assert "labels" not in row["request"]


def test_each_key_has_its_own_label() -> None:
    keys = [KEY, KEY.removesuffix("-retry"), KEY.replace("-n3", "-n2")]
    found = [lines.label(k) for k in keys]
    assert len(set(found)) == 3 and all(len(v) == 32 for v in found)
    assert lines.labelled({"request": {"contents": []}}) is None  # no label: no line
