"""What a caller may ask for: media types of the catalog, sizes up to the transcriber's limit, a
file name that can only ever be a suffix, and the uploader context the transcriber reads."""

from __future__ import annotations

from typing import Any

import pytest

from functions.core.http import BadRequest
from functions.core.media import CONTEXT_LIMITS, MAX_MEDIA_BYTES
from functions.uploads.ask import parse

GOOD = {"name": "talk.mp4", "content_type": "video/mp4", "size": 1234}
MOST_S = 12 * 3600.0  # the longest media taken (TABSCRIBE_MAX_MEDIA_S)


def ask(**changes: Any) -> Any:
    return parse({**GOOD, **changes}, MOST_S)


def test_a_media_upload_is_described_by_name_type_size_and_context() -> None:
    result = ask(metadata={"title": "Q3 review", "speakers": "Ada Lovelace"})
    assert (result.file_name, result.content_type, result.size) == ("talk.mp4", "video/mp4", 1234)
    assert result.metadata == {"title": "Q3 review", "speakers": "Ada Lovelace"}


def test_sound_events_are_asked_for_with_true_or_false() -> None:
    assert ask(metadata={"events": "true"}).metadata == {"events": "true"}
    assert ask(metadata={"events": "false", "title": "T"}).metadata == {
        "events": "false",
        "title": "T",
    }


def test_batch_is_asked_for_with_the_priority_key() -> None:
    assert ask(metadata={"priority": "batch"}).metadata == {"priority": "batch"}
    assert ask(metadata={"priority": "standard"}).metadata == {"priority": "standard"}


def test_translations_and_chapters_are_asked_for_like_the_events() -> None:
    asked = {"translate": "fr, de", "chapters": "false"}
    assert ask(metadata=asked).metadata == asked
    with pytest.raises(BadRequest, match=r"metadata\.translate: .zz. is not a language code"):
        ask(metadata={"translate": "fr,zz"})
    with pytest.raises(BadRequest, match=r"metadata\.chapters: one of"):
        ask(metadata={"chapters": "yes"})
    with pytest.raises(BadRequest, match=r"metadata\.translate: a string"):
        ask(metadata={"translate": ["fr"]})


def test_the_object_is_under_the_caller_s_uid_with_a_fresh_unique_name() -> None:
    result = ask(name="../../bob/evil.mp4")
    first, second = (result.object_name("uploads/", "alice") for _ in range(2))
    assert first.startswith("uploads/alice/") and first.endswith("-evil.mp4")
    assert first.count("/") == 2 and first != second


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("C:\\Users\\me\\Interview 1.m4a", "Interview_1.m4a"),
        ("réunion été.webm", "réunion_été.webm"),
        ("a<b>c;d.mp3", "a_b_c_d.mp3"),
        ("..hidden.mp4", "hidden.mp4"),
    ],
)
def test_file_names_are_sanitised(name: str, safe: str) -> None:
    assert ask(name=name).file_name == safe


@pytest.mark.parametrize(
    "changes",
    [
        {"content_type": "text/html"},
        {"content_type": "application/pdf"},
        {"content_type": "image/png"},
        {"content_type": None},
        {"size": 0},
        {"size": -1},
        {"size": MAX_MEDIA_BYTES + 1},
        {"size": "12"},
        {"size": True},
        {"name": "../.."},
        {"name": None},
        {"metadata": {"owner": "bob"}},
        {"metadata": {"model": "gemini-2.5-pro"}},
        {"metadata": {"title": "x" * (CONTEXT_LIMITS["title"] + 1)}},
        {"metadata": {"title": "line\nbreak"}},
        {"metadata": {"speakers": "José"}},
        {"metadata": "title=x"},
        {"metadata": {"events": "yes"}},
        {"metadata": {"events": True}},
        {"metadata": {"priority": "later"}},
        {"metadata": {"priority": True}},
    ],
)
def test_what_the_function_does_not_sign_is_a_bad_request(changes: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        ask(**changes)


def test_catalog_types_of_either_api_are_accepted() -> None:
    for mime in ("video/mp4", "audio/mp4", "video/quicktime", "video/mov", "audio/webm"):
        assert ask(content_type=mime).content_type == mime
    assert ask(content_type="Video/MP4 ").content_type == "video/mp4"
    assert ask(size=MAX_MEDIA_BYTES).size == MAX_MEDIA_BYTES


def test_the_body_must_be_an_object() -> None:
    for body in (None, [], "x"):
        with pytest.raises(BadRequest):
            parse(body, MOST_S)


def test_a_declared_duration_is_kept_and_signed_as_the_duration_metadata() -> None:
    result = ask(duration=754.25, metadata={"title": "Talk"})
    assert result.duration_s == 754.25
    assert result.metadata == {"title": "Talk", "duration": "754.25"}
    assert ask().duration_s is None and "duration" not in ask().metadata


@pytest.mark.parametrize("duration", [0, -5, 12 * 3600 + 1, float("nan"), float("inf"), "60", True])
def test_a_duration_outside_zero_to_twelve_hours_is_refused(duration: Any) -> None:
    with pytest.raises(BadRequest, match="duration"):
        ask(duration=duration)


def test_duration_is_not_an_uploader_context_key() -> None:
    with pytest.raises(BadRequest, match="unknown keys"):
        ask(metadata={"duration": "1"})
