"""The voices pass's reel (functions/transcribe/reel.py): cut from sample objects in the Cloud
Storage emulator through the blob reader, checked with PyAV."""

from __future__ import annotations

import array
import io
from pathlib import Path
from typing import Any

import av
import pytest

from functions.core import clients
from functions.format.voices import Snippet, slots
from functions.transcribe import reel
from tests.paths import ROOT

pytestmark = pytest.mark.emulator

SAMPLES = ROOT / "samples"


class Counted(io.RawIOBase):
    """A reader that counts the bytes read through it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.read_bytes = inner, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.read_bytes += len(data)
        return bytes(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.inner.seek(offset, whence))

    def tell(self) -> int:
        return int(self.inner.tell())


def cut_from_bucket(bucket: Any, path: Path, starts_s: list[int], with_video: bool) -> Any:
    blob = bucket.blob(f"uploads/alice/{path.name}")
    blob.upload_from_filename(str(path))
    snippets = [
        Snippet(voice=n, start_ms=s * 1000, end_ms=s * 1000 + 5_500, text="words")
        for n, s in enumerate(starts_s, 1)
    ]
    placed, out = slots(snippets), io.BytesIO()
    with blob.open("rb", chunk_size=256 * 1024) as reader:
        counted = Counted(reader)
        kind = reel.cut(counted, placed, with_video, out)  # type: ignore[arg-type]
    out.seek(0)
    return kind, placed, out, counted.read_bytes, path.stat().st_size


@pytest.fixture
def bucket(emulators: Any, unique: str) -> Any:
    return clients.storage_client().create_bucket(f"reels-{unique}")


def pcm_peaks(reel_file: io.BytesIO, windows: list[tuple[float, float]]) -> list[int]:
    """The loudest sample of the reel's sound in each window (seconds)."""
    samples = array.array("h")
    with av.open(reel_file) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=reel.RATE)
        for frame in container.decode(audio=0):
            for piece in resampler.resample(frame):
                samples.frombytes(bytes(piece.planes[0])[: piece.samples * 2])
    return [
        max(abs(v) for v in samples[int(a * reel.RATE) : int(b * reel.RATE)]) for a, b in windows
    ]


def test_a_video_reel_holds_each_snippet_in_its_slot(bucket: Any) -> None:
    kind, placed, out, read, size = cut_from_bucket(
        bucket, SAMPLES / "conference.webm", [30, 1500, 4200, 5990], with_video=True
    )
    assert kind == reel.VIDEO and [s.length_s for s in placed] == [6, 6, 6, 6]
    with av.open(out) as container:
        assert sorted(s.type for s in container.streams) == ["audio", "video"]
        assert container.duration is not None
        assert abs(container.duration / 1e6 - placed[-1].end_s) < 0.1  # 6 s each, 3 gaps: 27 s
        assert container.streams.video[0].codec_context.height <= reel.HEIGHT
    assert read < size / 2  # ranges, not the whole object


def test_an_audio_reel_of_long_audio_is_audio_only(bucket: Any) -> None:
    kind, placed, out, read, size = cut_from_bucket(
        bucket, SAMPLES / "radio.ogg", [24, 5400, 10_700], with_video=True
    )
    assert kind == reel.AUDIO and placed[-1].end_s == 20
    with av.open(out) as container:
        assert [s.type for s in container.streams] == ["audio"]
        assert container.duration is not None
        assert abs(container.duration / 1e6 - 20) < 0.1
    assert read < size / 2
    out.seek(0)
    voice, gap = pcm_peaks(out, [(0.5, 5.5), (6.1, 6.9)])
    assert voice > 1000 > 10 > gap  # the snippet's sound, then the silence between two (Opus: ±1)


def test_media_it_cannot_read_is_unreadable() -> None:
    placed = slots([Snippet(voice=1, start_ms=0, end_ms=1_000, text="words")])
    source = io.BytesIO((ROOT / "tests" / "data" / "media" / "notes.txt").read_bytes())
    with pytest.raises(reel.Unreadable):
        reel.cut(source, placed, True, io.BytesIO())
