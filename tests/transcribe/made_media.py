"""Media the tests make: small real files PyAV writes (silence), and files that only look like
media (a container's magic number before garbage, a file cut short)."""

from __future__ import annotations

import io
import random
import struct
from typing import Any

import av

MAGIC = {
    "webm": b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm",
    "flv": b"FLV\x01\x05\x00\x00\x00\x09",
    "mpeg": b"\x00\x00\x01\xba",
}


def garbage_behind(kind: str, size: int = 4096) -> bytes:
    """`size` bytes: the container's magic number, then random bytes (the same every run)."""
    rest = random.Random(kind).randbytes(size - len(MAGIC[kind]))
    return MAGIC[kind] + rest


def cut(data: bytes, fraction: float) -> bytes:
    """The first `fraction` of `data`: an upload cut short."""
    return data[: int(len(data) * fraction)]


class _Sink:
    """A write-only output: the muxer cannot seek back to write the duration."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


def silence(fmt: str, codec: str, seconds: float, rate: int, seekable: bool = True) -> bytes:
    """`seconds` of mono silence encoded with `codec` in a `fmt` container."""
    out: Any = io.BytesIO() if seekable else _Sink()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        step = stream.codec_context.frame_size or 1024
        for start in range(0, int(seconds * rate), step):
            frame = av.AudioFrame(format="s16", layout="mono", samples=step)
            frame.planes[0].update(bytes(step * 2))
            frame.sample_rate, frame.pts = rate, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue() if seekable else bytes(out.data)


def flv(seconds: float = 2.0, header_duration_s: float | None = None) -> bytes:
    """An FLV of MP3 silence; `header_duration_s`: what its onMetaData claims instead."""
    data = silence("flv", "mp3", seconds, 22050)
    if header_duration_s is None:
        return data
    at = data.index(b"duration\x00") + len(b"duration\x00")  # an AMF0 number follows
    return data[:at] + struct.pack(">d", header_duration_s) + data[at + 8 :]


def webm_without_duration(seconds: float = 2.0) -> bytes:
    """An Opus WebM written as a browser's recorder writes it: no duration in its header."""
    return silence("webm", "libopus", seconds, 48000, seekable=False)


def mpeg_ps(seconds: float = 2.0) -> bytes:
    """An MPEG program stream of MP2 silence."""
    return silence("mpeg", "mp2", seconds, 44100)
