"""The progress line `python -m stack upload --wait` and `make demo` print (stack/follow.py)."""

from __future__ import annotations

from stack.follow import progress_line


def test_long_media_shows_the_clips_done_then_the_voices_pass() -> None:
    streaming = {"status": "processing", "progress": {"segments": 40, "fraction": 0.25}}
    streaming["progress"] |= {"clips": 12, "clips_done": 3}
    assert progress_line(streaming) == "processing: 40 segments, 25% of the media, clips 3/12 done"
    matching = {**streaming, "clips": {"voices": {"asked": 56}}}
    assert progress_line(matching).endswith("clips 3/12 done; matching 56 voices")
    done = {**matching, "status": "completed"}
    assert "matching" not in progress_line(done)
    assert progress_line({}) == "waiting for the transcriber …"
