"""The voices pass's reel (decision 0014): its snippets cut from the object into one short media.

The service takes at most 10 videos and 1 audio file per prompt, and parts on one object count
as several files; so the pass sends one media part, a reel: each snippet in order, a second of
silence (and black) between them so the model hears where one ends, re-encoded small (video:
low resolution and 2 frames a second, VP8 and Opus in WebM; audio-only media: Opus in Ogg).
`functions.format.voices.slots` places the snippets on whole seconds of the reel (the prompt
lists them); `cut` writes the reel from a seekable reader of the object (PyAV reads only the
ranges it seeks to).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

import av

from functions.format.voices import Slot

FPS = 2  # frames a second in the reel (the pass reads fewer: plan.fps)
HEIGHT = 360  # the most rows of a reel's picture; faces, not slides
RATE = 16_000  # speech: Opus wideband, mono (Gemini downsamples audio to 16 Kbps, one channel)
FRAME_SAMPLES = 960  # 60 ms, the longest Opus frame: fewest encoder calls
VIDEO_BIT_RATE = 300_000
AUDIO_BIT_RATE = 32_000


@dataclass(frozen=True)
class Kind:
    """The reel's container, MIME type and file extension."""

    container: str
    mime_type: str
    extension: str


VIDEO = Kind("webm", "video/webm", "webm")
AUDIO = Kind("ogg", "audio/ogg", "ogg")


class Unreadable(Exception):
    """PyAV could not read the media or write the reel."""


def cut(source: IO[bytes], placed: Sequence[Slot], with_video: bool, out: IO[bytes]) -> Kind:
    """Write the reel of `placed` from `source` (a seekable reader) to `out`: video when
    `with_video` and the source has a picture, else audio only."""
    try:
        return _cut(source, placed, with_video, out)
    except av.FFmpegError as exc:
        raise Unreadable(str(exc)) from exc


def _cut(source: IO[bytes], placed: Sequence[Slot], with_video: bool, out: IO[bytes]) -> Kind:
    with av.open(source, "r") as src:
        audio_in = src.streams.audio[0] if src.streams.audio else None
        video_in = src.streams.video[0] if with_video and src.streams.video else None
        if audio_in is None and video_in is None:
            raise Unreadable("the media has no sound to cut a reel from")
        kind = VIDEO if video_in is not None else AUDIO
        with av.open(out, "w", format=kind.container) as dst:
            writer = _Writer(dst, video_in)
            for number, slot in enumerate(placed):
                if number:
                    writer.gap(slot.start_s - placed[number - 1].end_s)
                start_s = slot.snippet.start_ms / 1000
                pcm, pictures = _read(src, audio_in, video_in, start_s, slot.length_s)
                writer.snippet(slot.length_s, pcm, pictures)
            writer.close()
    return kind


class _Writer:
    """The reel's output streams, written second by second in order."""

    def __init__(self, dst: Any, video_in: Any) -> None:
        self.dst = dst
        self.audio = dst.add_stream("libopus", rate=RATE, layout="mono")
        self.audio.bit_rate = AUDIO_BIT_RATE
        # speech at the encoder's fastest setting: 5x faster than its default, heard the same
        self.audio.options = {"compression_level": "0", "application": "voip"}
        self.samples = 0
        self.video = None
        self.frames = 0
        if video_in is not None:
            width, height = _size(video_in.codec_context.width, video_in.codec_context.height)
            self.video = dst.add_stream("libvpx", rate=FPS)
            self.video.width, self.video.height = width, height
            self.video.pix_fmt = "yuv420p"
            self.video.bit_rate = VIDEO_BIT_RATE
            self.video.options = {"deadline": "realtime", "cpu-used": "8"}

    def snippet(self, length_s: int, pcm: bytes, pictures: Sequence[Any]) -> None:
        self._pcm(_fit(pcm, length_s * RATE * 2))
        for picture in pictures if self.video is not None else ():
            self._picture(picture)

    def gap(self, length_s: int) -> None:
        self._pcm(bytes(length_s * RATE * 2))
        for _ in range(length_s * FPS if self.video is not None else 0):
            self._picture(None)

    def close(self) -> None:
        for stream in (self.audio, self.video):
            if stream is not None:
                self.dst.mux(stream.encode(None))

    def _pcm(self, pcm: bytes) -> None:
        step = FRAME_SAMPLES * 2
        for at in range(0, len(pcm), step):
            piece = pcm[at : at + step].ljust(step, b"\0")
            frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
            frame.planes[0].update(piece)
            frame.sample_rate, frame.pts = RATE, self.samples
            frame.time_base = Fraction(1, RATE)
            self.samples += FRAME_SAMPLES
            self.dst.mux(self.audio.encode(frame))

    def _picture(self, frame: Any) -> None:
        assert self.video is not None
        width, height = self.video.width, self.video.height
        if frame is None:
            frame = _black(width, height)
        else:
            frame = frame.reformat(width=width, height=height, format="yuv420p")
        frame.pts, frame.time_base = self.frames, Fraction(1, FPS)
        self.frames += 1
        self.dst.mux(self.video.encode(frame))


def _read(
    src: Any, audio_in: Any, video_in: Any, start_s: float, length_s: int
) -> tuple[bytes, list[Any]]:
    """The source's sound from `start_s` for `length_s` (mono s16 at RATE), and the picture
    shown at each of the reel's frames there (None: no picture)."""
    anchor = video_in if video_in is not None else audio_in
    src.seek(max(0, int(start_s / anchor.time_base)), stream=anchor, backward=True)
    streams = [s for s in (audio_in, video_in) if s is not None]
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    pcm, pcm_from = bytearray(), None
    ticks = [start_s + tick / FPS for tick in range(length_s * FPS)]
    shown: list[Any] = [None] * len(ticks)
    first = None
    for frame in _until(src, streams, start_s + length_s):
        if isinstance(frame, av.AudioFrame):
            pcm_from = frame.time if pcm_from is None else pcm_from
            for piece in resampler.resample(frame):
                pcm += bytes(piece.planes[0])[: piece.samples * 2]
            continue
        first = first or frame
        for tick, at in enumerate(ticks):  # the last picture at or before each frame's time
            if frame.time <= at + 1e-3:
                shown[tick] = frame
    shown = [picture or first for picture in shown]
    if pcm_from is None:
        return b"", shown
    skip = round((start_s - pcm_from) * RATE) * 2  # negative: the sound starts late
    return (bytes(pcm[skip:]) if skip >= 0 else bytes(-skip) + bytes(pcm)), shown


def _until(src: Any, streams: list[Any], end_s: float) -> Iterator[Any]:
    """Decoded frames of `streams` from where the source was sought to, until each passed
    `end_s`."""
    passed: set[int] = set()
    for packet in src.demux(*streams):
        if packet.stream.index in passed:
            continue
        for frame in packet.decode():
            if frame.time is None:
                continue
            if frame.time >= end_s:
                passed.add(packet.stream.index)
                break
            yield frame
        if len(passed) == len(streams):
            return


def _fit(pcm: bytes, size: int) -> bytes:
    return pcm[:size].ljust(size, b"\0")


def _size(width: int, height: int) -> tuple[int, int]:
    """The reel's picture: at most HEIGHT rows, the source's aspect, even sides."""
    scale = min(1.0, HEIGHT / max(1, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _black(width: int, height: int) -> Any:
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, value in zip(frame.planes, (16, 128, 128), strict=True):
        plane.update(bytes([value]) * plane.buffer_size)
    return frame
