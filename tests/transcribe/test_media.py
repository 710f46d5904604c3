"""Media identification: by header, with duration and tracks read from the container header."""

from __future__ import annotations

import io

import pytest

from functions.transcribe.media import CountingReader, MediaRejected, probe, sniff
from tests.paths import DATA

MEDIA = DATA / "media"

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
    ("clip.avi", "video/x-msvideo", "video/avi", True, True),
]


def _probe(name: str, declared: str | None) -> object:
    data = (MEDIA / name).read_bytes()
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


def test_truncated_file_is_rejected_as_corrupt() -> None:
    data = (MEDIA / "clip.mp4").read_bytes()[:600]
    with pytest.raises(MediaRejected, match="cannot be read"):
        probe(io.BytesIO(data), "video/mp4", 13090)


def test_probe_reads_only_the_header_of_a_large_file() -> None:
    """A 20 MB MP4 whose media data follows the header: the probe reads a small fraction."""
    head = (MEDIA / "clip.mp4").read_bytes()
    big = head + b"\0" * 20_000_000
    info = probe(io.BytesIO(big), "video/mp4", len(big))
    assert info.bytes_read < 64 * 1024
    assert info.duration_s == pytest.approx(2.5, abs=0.15)


def test_sniff_knows_the_common_headers() -> None:
    assert sniff(b"\x00\x00\x00\x18ftypqt  ") == "mov"
    assert sniff(b"\x00\x00\x00\x18ftyp3gp4") == "3gp"
    assert sniff(b"ID3\x04") == "mp3"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVE") == "wav"
    assert sniff(b"FORM\x00\x00\x00\x00AIFF") == "aiff"
    assert sniff(b"\xff\xf1\x50\x80") == "aac"
    assert sniff(b"%PDF-1.7") == "unknown"


def test_counting_reader_counts() -> None:
    reader = CountingReader(io.BytesIO(b"0123456789"))
    reader.read(4)
    reader.seek(8)
    reader.read(10)
    assert reader.bytes_read == 6
