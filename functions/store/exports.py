"""Subtitles (WebVTT, SRT) and a JSON export of a finished transcription.

Pure rendering here; `finish` uploads the files. Speaker names become cue voices (`<v Name>` in
WebVTT, a `Name:` prefix in SRT). A cue ends where the next segment starts; the last one at the
media's end (or after FALLBACK_MS when the duration is unknown or the timecodes go backwards).
Sound events, when the run asked for them (decision 0025), are unvoiced `[kind]` cues among the
speech cues and a list of their own in the JSON export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import srt  # type: ignore[import-untyped]
import webvtt

from functions.format.parser import end_times

FALLBACK_MS = 2_000


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    voice: int | None
    speaker: str | None
    text: str


def speaker_names(speakers: list[dict[str, Any]]) -> dict[int, str]:
    """A display name per voice: the identified name, or `Speaker N`."""
    return {int(s["voice"]): s.get("name") or f"Speaker {s['voice']}" for s in speakers}


def cues(
    segments: list[dict[str, Any]], speakers: list[dict[str, Any]], duration_ms: int | None
) -> list[Cue]:
    names = speaker_names(speakers)
    starts = [int(segment["start_ms"]) for segment in segments]
    result = []
    for segment, start, end in zip(segments, starts, end_times(starts, duration_ms), strict=True):
        voice = segment.get("voice")
        speaker = None if voice is None else names.get(voice, f"Speaker {voice}")
        cue_end = start + FALLBACK_MS if end is None else end  # the parser's end_ms, or a fallback
        result.append(Cue(start, cue_end, voice, speaker, str(segment["text"])))
    return result


def with_events(items: list[Cue], events: list[dict[str, Any]] | None) -> list[Cue]:
    """The speech cues in their order, each sound event's `[kind]` cue (FALLBACK_MS long when it
    has no end) before the first speech cue that starts after it."""
    sounds = sorted(
        (
            Cue(start, event.get("end_ms") or start + FALLBACK_MS, None, None, f"[{event['kind']}]")
            for event in events or []
            for start in [int(event["start_ms"])]
        ),
        key=lambda cue: cue.start_ms,
        reverse=True,
    )
    merged = []
    for cue in items:
        while sounds and sounds[-1].start_ms < cue.start_ms:
            merged.append(sounds.pop())
        merged.append(cue)
    return merged + sounds[::-1]


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(items: list[Cue]) -> str:
    captions = [
        webvtt.Caption(
            start=_vtt_time(cue.start_ms),
            end=_vtt_time(cue.end_ms),
            text=(f"<v {_vtt_escape(cue.speaker)}>" if cue.speaker else "") + _vtt_escape(cue.text),
        )
        for cue in items
    ]
    return str(webvtt.WebVTT(captions=captions).content)


def to_srt(items: list[Cue]) -> str:
    subtitles = [
        srt.Subtitle(
            index=i,
            start=timedelta(milliseconds=cue.start_ms),
            end=timedelta(milliseconds=cue.end_ms),
            content=f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text,
        )
        for i, cue in enumerate(items, start=1)
    ]
    return str(srt.compose(subtitles, reindex=False))


def to_json(transcription_id: str, doc: dict[str, Any], items: list[Cue]) -> str:
    """The whole transcript in one file: status, speakers with statistics, timed segments, and
    the sound events when the run asked for them."""
    export = {
        "id": transcription_id,
        "source": doc.get("source"),
        "status": doc.get("status"),
        "reason": doc.get("reason"),
        "complete": doc.get("complete"),
        "model": doc.get("model"),
        "duration_ms": doc.get("duration_ms"),
        "speakers": doc.get("speakers") or [],
        "segments": [
            {
                "start_ms": cue.start_ms,
                "end_ms": cue.end_ms,
                "voice": cue.voice,
                "speaker": cue.speaker,
                "text": cue.text,
            }
            for cue in items
        ],
        "issues": {"total": (doc.get("counts") or {}).get("issues", 0), "first": doc.get("issues")},
    }
    if doc.get("events") is not None:
        export["events"] = doc["events"]
    return json.dumps(export, ensure_ascii=False, indent=1, default=str) + "\n"
