"""What an uploaded object is: its container, the MIME type for Gemini, duration and streams.

A real demuxer decides (FFmpeg, through PyAV), not the name or the declared content type: it
reads the container header through a seekable reader (ranged reads on Cloud Storage, never a
full download), then the first packets of the streams the request relies on, each of which must
decode, and checks that the container's index stays within the object (decision 0020).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

import av

from functions.core.media import MAX_MEDIA_BYTES

HEADER_BYTES = 64  # the EBML header, whose DocType tells WebM from other Matroska
DECODE_PACKETS = 400  # packets read at most to see a frame of each stream relied on,
DECODE_BYTES = 8 * 1024 * 1024  # and bytes of them


class MediaRejected(ValueError):
    """The object is not media Gemini can take: a terminal `rejected`, never retried."""


@dataclass(frozen=True)
class Container:
    name: str
    mime_type: str  # sent to Gemini


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


# FFmpeg's demuxer names (`av.ContainerFormat.name`) of the containers Gemini takes; the ISO
# family ("mov,mp4,m4a,3gp,3g2,mj2") is told apart by its brand, Matroska by its DocType.
_CONTAINERS = {
    "mp4": Container("MP4", "video/mp4"),
    "mov": Container("QuickTime", "video/mov"),
    "3gp": Container("3GPP", "video/3gpp"),
    "webm": Container("WebM", "video/webm"),
    "avi": Container("AVI", "video/avi"),
    "flv": Container("FLV", "video/x-flv"),
    "asf": Container("ASF/WMV", "video/wmv"),
    "mpeg": Container("MPEG program stream", "video/mpeg"),
    "mp3": Container("MP3", "audio/mp3"),
    "wav": Container("WAV", "audio/wav"),
    "aiff": Container("AIFF", "audio/aiff"),
    "aac": Container("AAC (ADTS)", "audio/aac"),
    "ogg": Container("Ogg", "audio/ogg"),
    "flac": Container("FLAC", "audio/flac"),
}
_NOT_SUPPORTED = {
    "matroska": "Matroska (.mkv) is not a format Gemini accepts; remux it to MP4 without "
    "re-encoding (`ffmpeg -i in.mkv -c copy out.mp4`) and upload that",
}


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


def probe(reader: IO[bytes], declared_type: str | None, size: int | None) -> MediaInfo:
    """Identify, check and measure the media behind `reader` (a seekable stream of the object
    of `size` bytes); `MediaRejected` says why it is not media Gemini can take."""
    check_size(size)
    assert size is not None
    counting = CountingReader(reader)
    header = counting.read(HEADER_BYTES)
    counting.seek(0)
    try:
        with av.open(counting, "r", metadata_errors="replace") as demuxer:
            kind = _kind(demuxer, header)
            video, audio = _decodable(demuxer)
            _check_index(demuxer, size)
            duration = _duration(demuxer)
    except av.FFmpegError as exc:
        declared = f" (declared as {declared_type})" if declared_type else ""
        raise MediaRejected(
            f"not a video or audio file Gemini accepts{declared}: unrecognised header, or one "
            f"FFmpeg cannot read ({exc.strerror})"
        ) from None
    container = _CONTAINERS[kind]
    return MediaInfo(
        container=container.name,
        mime_type="audio/mp4" if kind == "mp4" and not video else container.mime_type,
        duration_s=duration,
        has_video=video,
        has_audio=audio,
        bytes_read=counting.bytes_read,
    )


def _kind(demuxer: Any, header: bytes) -> str:
    """The container kind of `_CONTAINERS`, from the demuxer FFmpeg chose for the header."""
    name = demuxer.format.name
    if name.startswith("mov,"):
        brand = demuxer.metadata.get("major_brand", "qt  ")
        return "mov" if brand == "qt  " else "3gp" if brand.startswith("3g") else "mp4"
    if name.startswith("matroska,"):
        name = "webm" if b"webm" in header else "matroska"
    if name in _CONTAINERS:
        return str(name)
    raise MediaRejected(
        _NOT_SUPPORTED.get(name, f"{demuxer.format.long_name} is not a format Gemini accepts")
    )


def _decodable(demuxer: Any) -> tuple[bool, bool]:
    """(has video, has audio): whether the main picture and sound streams each decode a frame
    from their first packets. A cover picture (an MP3's or M4A's artwork) is no video."""
    video = demuxer.streams.best("video")
    if video is not None and video.disposition & av.stream.Disposition.attached_pic:
        video = None
    audio = demuxer.streams.best("audio")
    relied = [s for s in (video, audio) if s is not None]
    if not relied:
        found = ", ".join(s.type for s in demuxer.streams) or "none"
        raise MediaRejected(f"no audio or video stream (streams found: {found})")
    decoded = _decoded(demuxer, relied)
    if not decoded:
        codecs = ", ".join(f"{s.type} {_codec(s)}" for s in relied)
        raise MediaRejected(f"no decodable audio or video stream ({codecs}: no frame decodes)")
    return (video is not None and video.index in decoded), (
        audio is not None and audio.index in decoded
    )


def _decoded(demuxer: Any, streams: list[Any]) -> set[int]:
    """The indexes of `streams` that decode a frame within their first packets (at most
    DECODE_PACKETS of them, DECODE_BYTES in all)."""
    wanted, decoded, read = {s.index for s in streams}, set[int](), 0
    for number, packet in enumerate(demuxer.demux(*streams)):
        read += packet.size
        if decoded == wanted or number >= DECODE_PACKETS or read > DECODE_BYTES:
            break
        if packet.stream.index not in decoded and _decodes(packet):
            decoded.add(packet.stream.index)
    return decoded


def _codec(stream: Any) -> str:
    return stream.codec_context.name if stream.codec_context else "with no decoder"


def _decodes(packet: Any) -> bool:
    if packet.stream.codec_context is None:  # a codec FFmpeg has no decoder for
        return False
    try:
        return bool(packet.decode())
    except av.FFmpegError:  # a damaged packet: the next may decode
        return False


def _check_index(demuxer: Any, size: int) -> None:
    """The container's index (an MP4's sample table, an AVI's idx1, Matroska's cues) must point
    within the object: past its end, the media was cut off (an upload cut short)."""
    ends = [
        entry.pos + entry.size
        for stream in demuxer.streams
        if (count := len(stream.index_entries))
        for entry in (stream.index_entries[count - 1],)
        if entry.pos >= 0
    ]
    if ends and max(ends) > size:
        raise MediaRejected(
            f"the media is cut off: its index points to byte {max(ends):,}, past the end of "
            f"the {size:,}-byte object"
        )


def _duration(demuxer: Any) -> float | None:
    """Seconds, from the container, else its longest stream; None when neither tells."""
    if demuxer.duration and demuxer.duration > 0:
        return float(demuxer.duration / av.time_base)
    lengths = [
        float(stream.duration * stream.time_base)
        for stream in demuxer.streams
        if stream.duration and stream.time_base
    ]
    return max(lengths) if lengths and max(lengths) > 0 else None
