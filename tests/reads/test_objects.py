"""Which object a read names: the request checked, the object taken from the document only, in a
bucket the function reads; an export downloads under the uploaded file's name."""

from __future__ import annotations

from typing import Any

import pytest

from functions.core.http import BadRequest, NotFound
from functions.core.settings import Settings
from functions.reads.objects import _object_of, parse

SETTINGS = Settings(GOOGLE_CLOUD_PROJECT="p", upload_bucket="up", results_bucket="res")
DOC: dict[str, Any] = {
    "owner": "alice",
    "source": {"bucket": "up", "name": 'uploads/alice/x1-Talk "final".v2.mp4'},
    "exports": {"vtt": "gs://res/results/abc/transcript.vtt", "srt": "gs://elsewhere/t.srt"},
    "enrichments": {
        "translation_fr": {
            "status": "completed",
            "exports": {"vtt": "gs://res/results/abc/transcript.fr.vtt"},
        },
        "translation_de": {"status": "processing"},
    },
}


def test_the_body_names_a_transcription_id_and_one_kind_of_object() -> None:
    read = parse({"transcription": "a" * 32, "object": "vtt", "owner": "bob"})
    assert (read.transcription, read.object) == ("a" * 32, "vtt")
    for body in ({"transcription": "A" * 32, "object": "vtt"}, {"transcription": "a" * 32}):
        with pytest.raises(BadRequest):
            parse(body)


def test_a_lang_names_a_translation_s_subtitles_by_an_iso_639_code() -> None:
    assert parse({"transcription": "a" * 32, "object": "srt", "lang": "fil"}).lang == "fil"
    assert parse({"transcription": "a" * 32, "object": "vtt"}).lang is None
    for lang, kind in [("FR", "vtt"), ("fr-CA", "vtt"), ("../x", "vtt"), (1, "vtt"), ("", "vtt")]:
        with pytest.raises(BadRequest, match="ISO 639"):
            parse({"transcription": "a" * 32, "object": kind, "lang": lang})
    for kind in ("json", "source"):
        with pytest.raises(BadRequest, match="only vtt and srt"):
            parse({"transcription": "a" * 32, "object": kind, "lang": "fr"})


def test_a_completed_translation_s_export_downloads_under_the_file_s_name_and_language() -> None:
    vtt = _object_of(SETTINGS, DOC, "vtt", "fr")
    assert (vtt.bucket, vtt.name) == ("res", "results/abc/transcript.fr.vtt")
    assert vtt.disposition == 'attachment; filename="x1-Talk _final_.v2.fr.vtt"'
    with pytest.raises(NotFound, match="no srt export"):
        _object_of(SETTINGS, DOC, "srt", "fr")


def test_a_translation_not_asked_or_not_completed_is_not_found() -> None:
    for lang in ("de", "es"):  # processing; never asked
        with pytest.raises(NotFound, match=f"no completed translation into {lang}"):
            _object_of(SETTINGS, DOC, "vtt", lang)


def test_the_source_plays_inline_an_export_downloads_under_the_file_s_name() -> None:
    source = _object_of(SETTINGS, DOC, "source")
    assert (source.bucket, source.name, source.disposition) == ("up", DOC["source"]["name"], None)
    vtt = _object_of(SETTINGS, DOC, "vtt")
    assert (vtt.bucket, vtt.name) == ("res", "results/abc/transcript.vtt")
    assert vtt.disposition == 'attachment; filename="x1-Talk _final_.v2.vtt"'


def test_an_object_outside_the_two_buckets_or_not_yet_written_is_not_found() -> None:
    with pytest.raises(NotFound, match="not in a bucket"):
        _object_of(SETTINGS, DOC, "srt")
    with pytest.raises(NotFound, match="no json export"):
        _object_of(SETTINGS, DOC, "json")
    with pytest.raises(NotFound):
        _object_of(SETTINGS, {**DOC, "source": {"bucket": "other", "name": "x"}}, "source")
