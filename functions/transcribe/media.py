"""What an uploaded object is: its container, the MIME type for Gemini, duration and tracks.

The header decides, not the name or the declared content type alone. Duration comes from the
container header through a seekable reader (ranged reads on Cloud Storage): never a full download.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import mutagen
from mutagen import aac, aiff, asf, flac, mp3, mp4, oggopus, oggvorbis, wave
from mutagen.mp4._atom import Atoms

from functions.core.media import MAX_MEDIA_BYTES

HEADER_BYTES = 64


class MediaRejected(ValueError):
    """The object is not media Gemini can take: a terminal `rejected`, never retried."""


@dataclass(frozen=True)
class Container:
    name: str
    mime_type: str  # sent to Gemini
    has_video: bool  # by the container kind; refined by the probe where it can tell


@dataclass(frozen=True)
class MediaInfo:
    container: str
    mime_type: str
    duration_s: float | None
    has_video: bool
    has_audio: bool
    bytes_read: int  # how much of the object the probe read

    @property
    def duration_ms(self) -> int | None:
        return None if self.duration_s is None else round(self.duration_s * 1000)


_CONTAINERS = {
    "mp4": Container("MP4", "video/mp4", True),
    "mov": Container("QuickTime", "video/mov", True),
    "3gp": Container("3GPP", "video/3gpp", True),
    "webm": Container("WebM", "video/webm", True),
    "avi": Container("AVI", "video/avi", True),
    "flv": Container("FLV", "video/x-flv", True),
    "wmv": Container("ASF/WMV", "video/wmv", True),
    "mpeg": Container("MPEG program stream", "video/mpeg", True),
    "mp3": Container("MP3", "audio/mp3", False),
    "wav": Container("WAV", "audio/wav", False),
    "aiff": Container("AIFF", "audio/aiff", False),
    "aac": Container("AAC (ADTS)", "audio/aac", False),
    "ogg": Container("Ogg", "audio/ogg", False),
    "flac": Container("FLAC", "audio/flac", False),
}
_NOT_SUPPORTED = {
    "matroska": "Matroska (.mkv) is not a format Gemini accepts; convert it to MP4 or WebM",
}


def sniff(header: bytes) -> str:
    """The container kind from the first bytes of a file, or a description of what it is not."""
    h = header
    if h[4:8] == b"ftyp":
        brand = h[8:12]
        if brand == b"qt  ":
            return "mov"
        return "3gp" if brand.startswith(b"3g") else "mp4"
    if h[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in h[:HEADER_BYTES] else "matroska"
    if h[:4] == b"RIFF" and h[8:12] == b"WAVE":
        return "wav"
    if h[:4] == b"RIFF" and h[8:12] == b"AVI ":
        return "avi"
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if h[:3] == b"ID3" or (len(h) > 1 and h[0] == 0xFF and h[1] & 0xE6 in (0xE2, 0xE4, 0xE6)):
        return "mp3"
    if len(h) > 1 and h[0] == 0xFF and h[1] & 0xF6 == 0xF0:
        return "aac"
    checks: list[tuple[bytes, str]] = [
        (b"OggS", "ogg"),
        (b"fLaC", "flac"),
        (b"FLV\x01", "flv"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "wmv"),
        (b"\x00\x00\x01\xba", "mpeg"),
    ]
    for magic, kind in checks:
        if h.startswith(magic):
            return kind
    return "unknown"


def container_of(header: bytes, declared_type: str | None) -> Container:
    """Accept or reject by header; the declared content type alone never makes a file media."""
    kind = sniff(header)
    if kind in _CONTAINERS:
        return _CONTAINERS[kind]
    if kind in _NOT_SUPPORTED:
        raise MediaRejected(_NOT_SUPPORTED[kind])
    declared = f" (declared as {declared_type})" if declared_type else ""
    raise MediaRejected(f"not a video or audio file Gemini accepts{declared}: unrecognised header")


def check_size(size: int | None) -> None:
    if not size:
        raise MediaRejected("the file is empty")
    if size > MAX_MEDIA_BYTES:
        raise MediaRejected(
            f"the file is {size:,} bytes; the limit is {MAX_MEDIA_BYTES:,} (2 GiB - 500 KiB, "
            "what Vertex AI reads from Cloud Storage)"
        )


class CountingReader(io.RawIOBase):
    """Wraps a seekable binary stream and counts the bytes read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.bytes_read = raw, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


_MUTAGEN: dict[str, Callable[[CountingReader], mutagen.FileType]] = {
    "mp4": mp4.MP4,
    "mov": mp4.MP4,
    "3gp": mp4.MP4,
    "mp3": mp3.MP3,
    "wav": wave.WAVE,
    "aiff": aiff.AIFF,
    "aac": aac.AAC,
    "flac": flac.FLAC,
    "wmv": asf.ASF,
}


def probe(reader: IO[bytes], declared_type: str | None, size: int | None) -> MediaInfo:
    """Identify and measure the media behind `reader` (a seekable stream of the object)."""
    check_size(size)
    counting = CountingReader(reader)
    header = counting.read(HEADER_BYTES)
    counting.seek(0)
    container = container_of(header, declared_type)
    kind = sniff(header)
    duration, has_video, has_audio = _measure(kind, counting, container)
    return MediaInfo(
        container=container.name,
        mime_type="audio/mp4" if kind == "mp4" and not has_video else container.mime_type,
        duration_s=duration,
        has_video=has_video,
        has_audio=has_audio,
        bytes_read=counting.bytes_read,
    )


def _measure(
    kind: str, reader: CountingReader, container: Container
) -> tuple[float | None, bool, bool]:
    if kind in ("mp4", "mov", "3gp"):
        video, audio = _mp4_tracks(reader)
        reader.seek(0)
        return _mutagen_length(kind, reader), video, audio
    if kind == "ogg":
        return _ogg_length(reader), False, True
    if kind == "webm":
        return _ebml_duration(reader), True, True
    if kind == "avi":
        return _avi_duration(reader), True, True
    if kind in _MUTAGEN:
        return _mutagen_length(kind, reader), container.has_video, True
    return None, container.has_video, True


def _mutagen_length(kind: str, reader: CountingReader) -> float | None:
    try:
        length = getattr(_MUTAGEN[kind](reader).info, "length", None)
    except Exception as exc:  # any parse failure: a corrupt header
        raise MediaRejected(f"the {kind.upper()} header cannot be read: {exc}") from None
    return float(length) if length and length > 0 else None


def _mp4_tracks(reader: CountingReader) -> tuple[bool, bool]:
    """(has video, has audio) from each track's handler type."""
    try:
        atoms = Atoms(reader)
        handlers = set()
        for trak in atoms[b"moov"].findall(b"trak"):
            ok, data = trak[b"mdia", b"hdlr"].read(reader)
            if ok:
                handlers.add(data[8:12])
    except Exception as exc:  # a broken atom tree: a corrupt file
        raise MediaRejected(f"the MP4/QuickTime header cannot be read: {exc}") from None
    return b"vide" in handlers, b"soun" in handlers


def _ogg_length(reader: CountingReader) -> float | None:
    for cls in (oggopus.OggOpus, oggvorbis.OggVorbis):
        reader.seek(0)
        try:
            return float(getattr(cls(reader).info, "length", 0.0))
        except Exception:  # try the next codec
            continue
    raise MediaRejected("the Ogg stream is neither Opus nor Vorbis, or its header is corrupt")


def _avi_duration(reader: CountingReader) -> float | None:
    """`avih`: microseconds per frame times total frames, in the first list of the RIFF header."""
    reader.seek(0)
    head = reader.read(256)
    at = head.find(b"avih")
    if at < 0 or len(head) < at + 24:
        return None
    micro_per_frame, _, _, _, frames = struct.unpack("<5I", head[at + 8 : at + 28])
    return micro_per_frame * frames / 1e6 if micro_per_frame and frames else None


def _ebml_duration(reader: CountingReader) -> float | None:
    """WebM: Segment/Info/Duration times TimecodeScale, read from the first 64 KiB."""
    reader.seek(0)
    data = reader.read(64 * 1024)
    info = _ebml_find(data, 0, len(data), [0x18538067, 0x1549A966])
    if info is None:
        return None
    start, end = info
    scale, duration = 1_000_000, None
    position = start
    while position < end:
        element, size, body = _ebml_header(data, position)
        if element is None:
            break
        if element == 0x2AD7B1:
            scale = int.from_bytes(data[body : body + size], "big")
        elif element == 0x4489:
            fmt = ">f" if size == 4 else ">d"
            duration = struct.unpack(fmt, data[body : body + size])[0]
        position = body + size
    return duration * scale / 1e9 if duration else None


def _ebml_find(data: bytes, start: int, end: int, path: list[int]) -> tuple[int, int] | None:
    position = start
    while position < end:
        element, size, body = _ebml_header(data, position)
        if element is None:
            return None
        if element == path[0]:
            body_end = min(body + size, end)
            return (
                (body, body_end) if len(path) == 1 else _ebml_find(data, body, body_end, path[1:])
            )
        position = body + size
    return None


def _ebml_header(data: bytes, position: int) -> tuple[int | None, int, int]:
    """(element id, body size, body offset) of the element at `position`."""
    element, position = _ebml_vint(data, position, keep_marker=True)
    size, position = _ebml_vint(data, position, keep_marker=False)
    if element is None or size is None:
        return None, 0, position
    return element, size, position


def _ebml_vint(data: bytes, position: int, keep_marker: bool) -> tuple[int | None, int]:
    if position >= len(data) or data[position] == 0:
        return None, position
    first = data[position]
    length = 8 - first.bit_length() + 1
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1 : position + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = 1 << 62  # unknown size: runs to the end
    return value, position + length
