"""The voices pass's designs side by side (decision 0014), on the two long samples.

For each of `samples/conference.webm` (100 minutes, video) and `samples/radio.ogg` (3 hours, audio
only): the clips of the default plan are answered as the stand-in answers them (its authored rows,
renumbered per clip), merged (`functions.format.merge`), and the voices pass's snippets picked as
the store picks them (6 s each). Then three designs of the pass:

1. **reel** (run): the snippets cut into one reel from the sample file (`functions.transcribe.
   reel`, PyAV; the file read through seeks, as the blob reader is), then one request to an
   in-process stand-in at its realistic pace: one media part (the reel, low resolution, half a
   frame a second) and the listing. Seconds: cutting the reel + the request, wall.
2. **parts** (today's form before the reel, counted): one media part per voice on the recording
   at its offsets, labelled. Input tokens from the stand-in's `countTokens` (the same arithmetic
   as its usage); seconds from its realistic pace (the first token after 2 s + input / 10,000 a
   second + thinking, then the reel's answer at 150 tokens a second). The service refuses it:
   more than 10 videos, or more than 1 audio file, per prompt.
3. **batches** (computed): at most 10 parts per prompt, `ANCHORS` anchor voices (the first to
   speak) repeated in every batch next to 7 others; a voice joins another across batches only
   through an anchor of the same person. Tokens from the per-part count of design 2, seconds for
   batches run in parallel (one batch's pace). Audio-only media: impossible (1 audio file).

Rejoin quality: voices of the transcript per authored person after the pass's answer (1.0 is
every person one voice), from the stand-in's answer (designs 1 and 2, which it answers alike) or
from the authored truth (design 3, a model as good as the stand-in within a batch).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

import standin
from bench.report import Metric, main
from functions.core.catalog import catalog
from functions.core.settings import Settings
from functions.format.merge import ClipAnswer, Merged, merge
from functions.format.parser import parse_text
from functions.format.voices import Snippet, duration_s, parse_answer, slots, snippets
from functions.transcribe import reel
from functions.transcribe.clips import plan_clips
from functions.transcribe.prompt import build_voices_prompt
from standin.authored import Authored
from standin.clips import clip_text
from standin.pacing import BASE_FIRST_TOKEN_S, OUTPUT_TOKENS_PER_S, PREFILL_TOKENS_PER_S
from standin.registry import BUNDLED_DIR, Entry, entry_from_dict

ROOT = Path(__file__).parent.parent
SAMPLES = {"conference": "conference.webm", "radio": "radio.ogg"}
PARTS_PER_PROMPT = {"video": 10, "audio": 1}  # the service's limits (gemini-notes.md)
ANCHORS = 3
FPS = 0.5  # the pass's frame rate (functions/transcribe/handler.py VOICES_FPS)
MODEL = catalog().default


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    bundled: dict[str, Any]  # the stand-in's authored answer (standin/responses/<name>.json)
    entry: Entry  # … as the stand-in reads it: its rows, and the whole answer written out

    @property
    def uri(self) -> str:
        return f"gs://bench/uploads/{self.path.name}"


def sample(name: str) -> Sample:
    bundled = json.loads((BUNDLED_DIR / f"{name}.json").read_text("utf-8"))
    return Sample(name, ROOT / "samples" / SAMPLES[name], bundled, entry_from_dict(bundled, name))


def authored(found: Sample) -> Authored:
    assert found.entry.authored is not None  # the bundled answers are authored rows
    return found.entry.authored


def merged_clips(found: Sample) -> list[ClipAnswer]:
    """The clip answers of the default plan, as the stand-in answers them."""
    answers = []
    default = {name: field.default for name, field in Settings.model_fields.items()}
    plan = plan_clips(
        found.entry.duration_s,
        *(default[k] for k in ("clip_s", "clip_overlap_s", "clip_threshold_s", "clip_first_s")),
    )
    for clip in plan:
        parsed = parse_text(clip_text(authored(found), clip.start_s, clip.end_s))
        answers.append(
            ClipAnswer(clip.index, clip.start_ms, clip.end_ms, parsed.segments, parsed.speakers)
        )
    return answers


def person_of(found: Sample, merged: Merged) -> dict[int, int]:
    """Each merged voice's authored voice (the merge keeps every authored row once, in order)."""
    written = parse_text(found.entry.text).segments
    pairs = zip(written, merged.segments, strict=True)
    return {m.voice: a.voice for a, m in pairs if m.voice is not None and a.voice is not None}


def per_person(found: Sample, merged: Merged) -> float:
    """Voices of the merged transcript per authored person."""
    truth = person_of(found, merged)
    return round(len(truth) / len(set(truth.values())), 3)


def client(url: str) -> genai.Client:
    model = catalog().get(MODEL)
    assert model is not None
    return genai.Client(
        vertexai=True,
        project="bench",
        location=model.vertex_location("us-central1"),
        credentials=Credentials(token="local-stand-in"),  # type: ignore[no-untyped-call]
        http_options=types.HttpOptions(base_url=url),
    )


def part(uri: str, mime: str, video: bool, offsets: tuple[float, float] | None) -> types.Part:
    """A media part as the transcriber sends the pass's (low resolution, FPS frames a second)."""
    start, end = offsets or (None, None)
    at = {"start_offset": f"{start:g}s", "end_offset": f"{end:g}s"} if offsets else {}
    level = types.PartMediaResolutionLevel.MEDIA_RESOLUTION_LOW
    return types.Part(
        file_data=types.FileData(file_uri=uri, mime_type=mime),
        video_metadata=types.VideoMetadata(**at, fps=FPS) if video else None,
        audio_metadata=types.AudioMetadata(
            start_offset=at["start_offset"], end_offset=at["end_offset"]
        )
        if offsets and not video
        else None,
        media_resolution=types.PartMediaResolution(level=level) if video else None,
    )


def reel_design(found: Sample, asked: list[Snippet], url: str) -> dict[str, Any]:
    placed = slots(asked)
    started = time.monotonic()
    out = io.BytesIO()
    with found.path.open("rb") as source:
        kind = reel.cut(source, placed, found.entry.has_video, out)
    cut_s = time.monotonic() - started
    video = kind is reel.VIDEO
    request = [
        part(
            f"gs://bench/results/{found.name}/voices-1.{kind.extension}",
            kind.mime_type,
            video,
            None,
        ),
        build_voices_prompt(video, placed),
    ]
    asked_at = time.monotonic()
    gemini = client(url)  # kept: a client closes when collected
    answer = gemini.models.generate_content(model=MODEL, contents=request)
    model_s = time.monotonic() - asked_at
    usage = answer.usage_metadata
    assert usage is not None
    groups, _ = parse_answer(answer.text or "", {s.voice for s in asked})
    return {
        "calls": 1,
        "parts": 1,
        "input_tokens": usage.prompt_token_count or 0,
        "output_tokens": (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0),
        "seconds": round(cut_s + model_s, 1),
        "cut_s": round(cut_s, 2),
        "reel_s": duration_s(placed),
        "reel_bytes": out.tell(),
        "groups": groups or [],
    }


def parts_design(
    found: Sample, asked: list[Snippet], url: str, output_tokens: int
) -> dict[str, Any]:
    """Today's form before the reel: counted (countTokens), paced by the stand-in's formula."""
    mime = "video/webm" if found.entry.has_video else "audio/ogg"
    request: list[Any] = []
    for snippet in asked:
        offsets = (snippet.start_ms / 1000, snippet.end_ms / 1000)
        request += [
            f"Voice {snippet.voice}:",
            part(found.uri, mime, found.entry.has_video, offsets),
        ]
    request.append(build_voices_prompt(found.entry.has_video, slots(asked)))
    gemini = client(url)
    counted = gemini.models.count_tokens(model=MODEL, contents=request)
    tokens = counted.total_tokens or 0
    kind = "video" if found.entry.has_video else "audio"
    return {
        "calls": 1,
        "parts": len(asked),
        "input_tokens": tokens,
        "seconds": round(_paced_s(tokens, output_tokens), 1),
        "refused": len(asked) > PARTS_PER_PROMPT[kind],
        "per_part": tokens / len(asked),  # the listing's text shared out: close enough
    }


def batches_design(
    found: Sample, asked: list[Snippet], per_part: float, truth: dict[int, int], output_tokens: int
) -> dict[str, Any] | None:
    """At most 10 parts a prompt, ANCHORS anchors in each; None where it cannot be (audio)."""
    if not found.entry.has_video:
        return None
    anchors, others = asked[:ANCHORS], asked[ANCHORS:]
    room = PARTS_PER_PROMPT["video"] - ANCHORS
    batches = [anchors + others[i : i + room] for i in range(0, len(others), room)]
    groups: list[list[int]] = []
    for batch in batches:
        by_person: dict[int, list[int]] = {}
        for snippet in batch:
            by_person.setdefault(truth[snippet.voice], []).append(snippet.voice)
        groups += [sorted(g) for g in by_person.values() if len(g) > 1]
    tokens = round(per_part * sum(len(b) for b in batches))
    per_batch = round(per_part * PARTS_PER_PROMPT["video"])
    return {
        "calls": len(batches),
        "parts": PARTS_PER_PROMPT["video"],
        "input_tokens": tokens,
        "seconds": round(_paced_s(per_batch, output_tokens // len(batches) + 1), 1),
        "groups": groups,
    }


def _paced_s(input_tokens: int, output_tokens: int) -> float:
    """The stand-in's realistic pace (standin/pacing.py): 2 s, the input at 10,000 tokens a
    second, then the output (thoughts and answer, as the reel's) at 150 tokens a second."""
    return (
        BASE_FIRST_TOKEN_S
        + input_tokens / PREFILL_TOKENS_PER_S
        + output_tokens / OUTPUT_TOKENS_PER_S
    )


def joined(answers: Sequence[ClipAnswer], found: Sample, groups: list[list[int]]) -> float:
    return per_person(found, merge(answers, same_person=groups))


def measure(name: str, url: str) -> list[Metric]:
    found = sample(name)
    answers = merged_clips(found)
    merged = merge(answers)
    asked = snippets(merged, 6_000)
    truth = person_of(found, merged)
    reeled = reel_design(found, asked, url)
    counted = parts_design(found, asked, url, reeled["output_tokens"])
    batched = batches_design(found, asked, counted["per_part"], truth, reeled["output_tokens"])
    key = f"voices.{name}"
    metrics = [
        Metric(f"{key}.voices_asked", len(asked), "voices", "snippets in the pass"),
        Metric(f"{key}.before_per_person", per_person(found, merged), "voices", "merge alone"),
        Metric(f"{key}.reel_calls", reeled["calls"], "calls", "reel: one media part (run)"),
        Metric(f"{key}.reel_input_tokens", reeled["input_tokens"], "tokens", "reel: prompt tokens"),
        Metric(
            f"{key}.reel_s", reeled["seconds"], "s", "reel: cut + request at the realistic pace"
        ),
        Metric(f"{key}.reel_cut_s", reeled["cut_s"], "s", "reel: cutting it from the file"),
        Metric(f"{key}.reel_length_s", reeled["reel_s"], "s", "reel: its duration"),
        Metric(f"{key}.reel_bytes", reeled["reel_bytes"], "bytes", "reel: its size"),
        Metric(
            f"{key}.reel_per_person",
            joined(answers, found, reeled["groups"]),
            "voices",
            "reel: voices per authored person after the pass",
            "<= 1.0",
        ),
        Metric(f"{key}.parts_parts", counted["parts"], "parts", "parts: media parts in one prompt"),
        Metric(f"{key}.parts_input_tokens", counted["input_tokens"], "tokens", "parts: (counted)"),
        Metric(f"{key}.parts_s", counted["seconds"], "s", "parts: paced (computed)"),
        Metric(f"{key}.parts_refused", int(counted["refused"]), "", "parts: over the limit (1)"),
    ]
    if batched is not None:
        metrics += [
            Metric(f"{key}.batches_calls", batched["calls"], "calls", "batches (computed)"),
            Metric(
                f"{key}.batches_input_tokens", batched["input_tokens"], "tokens", "batches: total"
            ),
            Metric(f"{key}.batches_s", batched["seconds"], "s", "batches: in parallel (computed)"),
            Metric(
                f"{key}.batches_per_person",
                joined(answers, found, batched["groups"]),
                "voices",
                "batches: voices per authored person (computed)",
            ),
        ]
    return metrics


def run() -> list[Metric]:
    with standin.start(realistic_pace=True) as stand_in:
        for found in map(sample, SAMPLES):
            keys = ("rows", "speakers", "duration_s", "has_video")
            stand_in.register(**{key: found.bundled[key] for key in keys}, uri=found.uri)
        return [metric for name in SAMPLES for metric in measure(name, stand_in.url)]


if __name__ == "__main__":
    main(run)
