"""Media identification by a real demuxer (decision 0020): container, streams that decode,
an index within the object, and the duration, read through ranged reads of the header."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.transcribe.media import CountingReader, MediaInfo, MediaRejected, probe
from tests.paths import DATA, ROOT
from tests.transcribe import made_media

MEDIA = DATA / "media"
SAMPLES = ["interview.mp4", "podcast.m4a", "keynote.mp4", "conference.webm", "radio.ogg"]

# file, declared type, expected MIME for Gemini, has video, has audio
CASES = [
    ("clip.mp4", "video/mp4", "video/mp4", True, True),
    ("clip-moov-at-end.mov", "video/quicktime", "video/mov", True, True),
    ("silent-video.mp4", "video/mp4", "video/mp4", True, False),
    ("voice.m4a", "audio/mp4", "audio/mp4", False, True),
    ("voice.mp3", "audio/mpeg", "audio/mp3", False, True),
    ("voice.wav", "audio/wav", "audio/wav", False, True),
    ("voice.ogg", "audio/ogg", "audio/ogg", False, True),
    ("voice.flac", "audio/flac", "audio/flac", False, True),
    ("clip.webm", "video/webm", "video/webm", True, True),
    ("clip.avi", "video/x-msvideo", "video/avi", True, False),  # an AVI of video alone
]


def _probe(name: str, declared: str | None) -> MediaInfo:
    return _probe_bytes((MEDIA / name).read_bytes(), declared)


def _probe_bytes(data: bytes, declared: str | None = None) -> MediaInfo:
    return probe(io.BytesIO(data), declared, len(data))


@pytest.mark.parametrize(("name", "declared", "mime", "video", "audio"), CASES)
def test_probe_identifies_and_measures(
    name: str, declared: str, mime: str, video: bool, audio: bool
) -> None:
    info = _probe(name, declared)
    assert (info.mime_type, info.has_video, info.has_audio) == (mime, video, audio)
    assert info.duration_s is not None and info.duration_s == pytest.approx(2.5, abs=0.15)


def test_declared_type_does_not_decide() -> None:
    """The header decides: an octet-stream video is a video; text declared as video is not."""
    assert _probe("clip.mp4", "application/octet-stream").mime_type == "video/mp4"
    with pytest.raises(MediaRejected, match=r"declared as video/mp4.*unrecognised header"):
        _probe("notes.txt", "video/mp4")


def test_rejections_are_clear() -> None:
    with pytest.raises(MediaRejected, match="Matroska"):
        _probe("clip.mkv", "video/x-matroska")
    with pytest.raises(MediaRejected, match="empty"):
        probe(io.BytesIO(b""), "video/mp4", 0)
    with pytest.raises(MediaRejected, match=r"limit is 2,146,971,648 \(2 GiB - 500 KiB"):
        probe(io.BytesIO(b"x"), "video/mp4", 3 * 1024**3)


def test_a_header_cut_short_is_rejected_as_unreadable() -> None:
    data = (MEDIA / "clip-moov-at-end.mov").read_bytes()
    with pytest.raises(MediaRejected, match="cannot read"):
        _probe_bytes(made_media.cut(data, 0.6), "video/quicktime")


@pytest.mark.parametrize("name", ["clip.mp4", "../../../samples/interview.mp4"])
def test_media_whose_index_points_past_the_end_is_rejected(name: str) -> None:
    """The header and the first frames are there, the rest of the media data is not."""
    data = (MEDIA / name).read_bytes()
    with pytest.raises(MediaRejected, match=f"cut off: its index points to byte {len(data):,}"):
        _probe_bytes(made_media.cut(data, 0.3), "video/mp4")


@pytest.mark.parametrize("kind", ["webm", "flv", "mpeg"])
def test_garbage_behind_a_magic_number_is_rejected(kind: str) -> None:
    with pytest.raises(MediaRejected, match=r"unrecognised header|no decodable"):
        _probe_bytes(made_media.garbage_behind(kind, 40_000))


def test_media_whose_streams_do_not_decode_is_rejected() -> None:
    """A whole MP4 whose media data was overwritten with zeros: a header, no frame."""
    data = (MEDIA / "clip.mp4").read_bytes()
    at = data.index(b"mdat") + 4
    zeroed = data[:at] + bytes(len(data) - at)
    with pytest.raises(MediaRejected, match=r"no decodable audio or video stream \(video h264"):
        _probe_bytes(zeroed, "video/mp4")


def test_formats_without_a_duration_field_are_measured() -> None:
    """FLV and MPEG-PS: the demuxer reads the last timestamps; a recorder's WebM has none."""
    flv = _probe_bytes(made_media.flv(2.0))
    assert (flv.container, flv.mime_type, flv.has_audio, flv.has_video) == (
        "FLV",
        "video/x-flv",
        True,
        False,
    )
    assert flv.duration_s == pytest.approx(2.0, abs=0.15)
    ps = _probe_bytes(made_media.mpeg_ps(2.0))
    assert ps.mime_type == "video/mpeg" and ps.duration_s == pytest.approx(2.0, abs=0.15)
    webm = _probe_bytes(made_media.webm_without_duration())
    assert webm.mime_type == "video/webm" and webm.has_audio and webm.duration_s is None


def test_a_header_duration_is_what_the_header_says() -> None:
    """A forged onMetaData duration is reported as such: the bounds judge it (test_bounds)."""
    assert _probe_bytes(made_media.flv(2.0, header_duration_s=20000)).duration_s == 20000


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_bundled_samples_keep_their_durations_and_are_read_in_part(sample: str) -> None:
    """The probe gives each sample the duration its authored answer was made for (ffprobe's),
    reading a small part of it."""
    data = (ROOT / "samples" / sample).read_bytes()
    response = ROOT / "standin" / "responses" / f"{sample.split('.')[0]}.json"
    authored_s = json.loads(response.read_text())["duration_s"]
    info = _probe_bytes(data)
    assert info.duration_s == pytest.approx(authored_s, abs=1e-3)
    assert info.bytes_read <= 128 * 1024 < len(data) // 1.2


def test_probe_reads_only_the_header_of_a_large_file() -> None:
    """A 20 MB MP4 whose media data follows the header: the probe reads a small fraction."""
    head = (MEDIA / "clip.mp4").read_bytes()
    big = head + b"\0" * 20_000_000
    info = probe(io.BytesIO(big), "video/mp4", len(big))
    assert info.bytes_read < 128 * 1024  # two of the demuxer's 32 KiB reads, and the header
    assert info.duration_s == pytest.approx(2.5, abs=0.15)


def test_counting_reader_counts() -> None:
    reader = CountingReader(io.BytesIO(b"0123456789"))
    reader.read(4)
    reader.seek(8)
    reader.read(10)
    assert reader.bytes_read == 6


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([case[0] for case in CASES]),
    st.lists(st.tuples(st.integers(0, 40_000), st.integers(0, 255)), max_size=32),
    st.floats(0.05, 1.0),
)
def test_damaged_media_is_measured_or_rejected_never_an_error(
    name: str, edits: list[tuple[int, int]], kept: float
) -> None:
    """Bytes overwritten and files cut short: the probe answers `MediaInfo` or `MediaRejected`
    (a terminal `rejected`), never another exception (a 500 and a retry)."""
    data = bytearray(made_media.cut((MEDIA / name).read_bytes(), kept) or b"\0")
    for at, value in edits:
        data[at % len(data)] = value
    try:
        info = _probe_bytes(bytes(data))
    except MediaRejected as exc:
        assert str(exc)  # a reason to record
    else:
        assert info.has_video or info.has_audio  # accepted: something decodes
