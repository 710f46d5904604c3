"""`python -m functions live-check`: the first thing to run with a key. It asks the Gemini service
that the settings name (a Developer API key, or Vertex credentials and a project) which models it
serves, compares them with the catalog, then sends each kind of request Tabscribe makes — a
single run, a clip, a continuation and a voices pass — on a bundled sample, built by the same
code the transcriber uses, under a hard spending cap. One row per request; any refusal verbatim.

Exit status 0 when every request was accepted and finished, 1 otherwise, 2 when nothing was
sent (no credentials, or the requests could cost more than the cap).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from google.genai import errors

from functions.core.catalog import catalog, price_on
from functions.core.settings import Settings
from functions.format.merge import Merged
from functions.format.models import Segment, Speaker
from functions.format.parser import parse_text
from functions.format.voices import Slot, answered, duration_s, slots, snippets
from functions.transcribe import gemini
from functions.transcribe.continuation import resume_at
from functions.transcribe.media import MediaInfo, probe
from functions.transcribe.plan import Overrides, Plan, make_plan, voices_plan
from functions.transcribe.prompt import (
    build_continuation_prompt,
    build_prompt,
    build_voices_prompt,
)

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "interview.mp4"
MAX_USD = 0.05
OUTPUT_CAP = 640  # output tokens per request, thinking included: bounds the cost
CLIP_S = 10  # the clip: this much from the middle of the sample
CONTINUE_AT = 0.8  # the continuation: cut at the row nearest this share of the sample
MAX_VOICES = 4  # the voices pass's reel: at most this many snippets
SNIPPET_MS = 6_000
EARLIER_TOKENS = OUTPUT_CAP  # the continuation's data block: rows of an answer of at most this
REQUEST_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Ask:
    """One request: its kind, plan and prompt; `media`: a URI to send instead of the sample's."""

    kind: str
    plan: Plan
    prompt: str
    extra_input_tokens: int = 0  # prompt data the plan's estimate does not count
    media: str | None = None
    voices: tuple[int, ...] = ()  # the voices pass: the voices asked about


@dataclass
class Answer:
    kind: str
    status: str = "-"
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    seconds: float = 0.0
    rows: int = 0
    speakers: int = 0
    refusal: str | None = None
    text: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == "200" and self.finish_reason in {"STOP", "MAX_TOKENS"}


def missing_credentials(settings: Settings) -> str | None:
    """What the settings lack to reach a Gemini service, in words; None when nothing."""
    if settings.gemini_mode == "developer" and not settings.gemini_api_key:
        return "set GEMINI_API_KEY (https://aistudio.google.com/apikey) to check the Gemini API"
    if settings.gemini_mode == "vertex" and not (settings.project and settings.results_bucket):
        return (
            "Vertex AI mode needs GOOGLE_CLOUD_PROJECT, application-default credentials and "
            "TABSCRIBE_RESULTS_BUCKET (the sample is copied there); or set GEMINI_API_KEY"
        )
    return None


# -- the requests, built as the transcriber builds them ------------------------------------


def capped(plan: Plan) -> Plan:
    return plan.model_copy(update={"max_output_tokens": min(plan.max_output_tokens, OUTPUT_CAP)})


def single_ask(media: MediaInfo, settings: Settings) -> Ask:
    """The whole sample at low resolution (the uploader's `media_resolution` override)."""
    low = Overrides(media_resolution="low")
    plan = make_plan(media, settings.model, low, settings.gemini_mode, settings.location)
    return Ask("single", capped(plan), build_prompt(plan.duration_s, media.has_video, {}))


def clip_ask(media: MediaInfo, settings: Settings) -> Ask:
    """`CLIP_S` from the middle, at the whole sample's resolution, as a long upload's clip."""
    whole = media.duration_s or 0.0
    start = max(0, round(whole / 2) - CLIP_S // 2)
    clip = Overrides(start=str(start), end=str(start + CLIP_S))
    mode, location = settings.gemini_mode, settings.location
    plan = make_plan(media, settings.model, clip, mode, location, resolution_of_s=whole)
    return Ask("clip", capped(plan), build_prompt(plan.duration_s, media.has_video, {}))


def continuation_ask(single: Ask, earlier: Sequence[Segment], settings: Settings) -> Ask:
    """The single run cut at its row nearest `CONTINUE_AT` of the sample: the rest of the media,
    and the rows before the cut in the prompt's data block."""
    whole_ms = round((single.plan.duration_s or 0) * 1000)
    target = whole_ms * CONTINUE_AT
    nearest = min(earlier, key=lambda row: abs(row.start_ms - target), default=None)
    point = nearest.start_ms if nearest else round(target)
    plan = resume_at(single.plan, 0, point, whole_ms, settings.continuation_overlap_s)
    before = [row for row in earlier if row.start_ms <= point]
    with_hours = plan.timecode_format == "H:MM:SS"
    prompt = build_continuation_prompt(
        single.prompt, round((plan.start_s or 0) * 1000), point, before, with_hours
    )
    return Ask("continuation", plan, prompt, extra_input_tokens=EARLIER_TOKENS)


def voices_slots(
    segments: Sequence[Segment], speakers: Sequence[Speaker], end_ms: int
) -> list[Slot]:
    """The voices pass's snippets of the single run's answer, as the store picks them."""
    merged = Merged(list(segments), list(speakers), True, [], [], end_ms)
    return slots(snippets(merged, SNIPPET_MS)[:MAX_VOICES])


def voices_ask(
    single: Ask, placed: Sequence[Slot], mime_type: str, has_video: bool, uri: str
) -> Ask:
    plan = voices_plan(single.plan, mime_type, has_video, duration_s(placed))
    prompt = build_voices_prompt(has_video, placed)
    asked = tuple(slot.snippet.voice for slot in placed)
    return Ask("voices", capped(plan), prompt, media=uri, voices=asked)


def planned_voices(single: Ask) -> Ask:
    """The largest voices pass the check can send, for the cost ceiling before it is cut."""
    most = [
        Segment(start_ms=n * SNIPPET_MS * 2, end_ms=(n * 2 + 1) * SNIPPET_MS, voice=n + 1, text="…")
        for n in range(MAX_VOICES)
    ]
    has_video = single.plan.has_video
    return voices_ask(single, voices_slots(most, [], 0), single.plan.mime_type, has_video, "")


def ceiling_usd(asks: Sequence[Ask], audio_only: bool, day: dt.date | None = None) -> float | None:
    """The most the requests can cost at the list prices in force on `day` (today), or None
    when a model has no list price."""
    total = 0.0
    for ask in asks:
        model = catalog().get(ask.plan.model)
        price = price_on(model.prices, day or dt.date.today()) if model else None
        if price is None:
            return None
        rate = price.input_audio if audio_only else price.input
        tokens_in = (ask.plan.estimated_input_tokens or 0) + ask.extra_input_tokens
        total += (tokens_in * rate + ask.plan.max_output_tokens * price.output) / 1e6
    return total


# -- sending --------------------------------------------------------------------------------


def send(client: Any, uri: str, ask: Ask) -> Answer:
    """One streamed request, as the transcriber sends it; the outcome, never an exception."""
    answer, chunks = Answer(ask.kind), list[str]()
    result = gemini.StreamResult()
    started = time.monotonic()
    try:
        parts = gemini.parts(ask.media or uri, ask.plan, ask.prompt)
        gemini.stream(client, ask.plan, parts, chunks.append, result, REQUEST_TIMEOUT_S)
        answer.status = "200"
    except (gemini.TerminalError, gemini.TransientError) as exc:
        cause = exc.__cause__
        answer.status = str(cause.code) if isinstance(cause, errors.APIError) else "refused"
        answer.refusal = str(exc)
    answer.seconds = round(time.monotonic() - started, 1)
    return read(answer, ask, result, "".join(chunks))


def read(answer: Answer, ask: Ask, result: gemini.StreamResult, text: str) -> Answer:
    """`answer` with what the service answered `ask`: its finish, tokens and the rows parsed."""
    answer.finish_reason = result.block_reason or result.finish_reason
    answer.prompt_tokens = result.usage.get("prompt_tokens")
    answer.output_tokens = result.usage.get("output_tokens")
    answer.text = text
    if ask.voices:  # the voices table: a row per voice, the persons they make
        persons = answered(answer.text, ask.voices)[0] or {}
        answer.rows, answer.speakers = len(persons), len(set(persons.values()))
    else:
        parsed = parse_text(answer.text)
        answer.rows, answer.speakers = len(parsed.segments), len(parsed.speakers)
    return answer


def compare_models(listed: Sequence[str], settings: Settings) -> tuple[list[str], bool]:
    """Lines on the catalog against the models the service lists; False: the model in use is
    not listed."""
    served = set(listed)
    lines = [f"the service lists {len(served)} models"]
    ok = settings.model in served
    lines.append(f"model {settings.model}: " + ("served" if ok else "NOT SERVED by this service"))
    gone = sorted(set(settings.allowed_models) - served)
    if gone:
        lines.append("allowed by the settings but not listed (gone?): " + ", ".join(gone))
    new = sorted(m for m in served - set(catalog().models) if m.startswith("gemini-"))
    if new:
        lines.append("listed but not in the catalog: " + ", ".join(new))
    return lines, ok


def listed_models(client: Any) -> list[str]:
    config = {"query_base": True} if client.vertexai else None
    return [str(m.name).rsplit("/", 1)[-1] for m in client.models.list(config=config)]


COLUMNS = (("kind", 13), ("status", 8), ("finish", 11), ("tokens in/out", 14), ("s", 6))
HEADER = "".join(f"{name:<{width}}" for name, width in COLUMNS) + "rows  speakers"


def row(answer: Answer) -> str:
    tokens = f"{answer.prompt_tokens or '-'}/{answer.output_tokens or '-'}"
    cells = (answer.kind, answer.status, answer.finish_reason or "-", tokens, f"{answer.seconds:g}")
    line = "".join(f"{cell:<{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))
    line += f"{answer.rows:<6}{answer.speakers}"
    return line + (f"\n    refused: {answer.refusal}" if answer.refusal else "")


def record(directory: Path, sha256: str, media: MediaInfo, ask: Ask, answer: Answer) -> None:
    """The answer as a stand-in registration (docs/standin.md) plus what was asked."""
    directory.mkdir(parents=True, exist_ok=True)
    entry = {
        "name": f"live-{ask.kind}",
        "sha256": sha256,
        "duration_s": media.duration_s,
        "has_video": media.has_video,
        "text": answer.text,
        "request": {"plan": ask.plan.model_dump(), "prompt": ask.prompt},
        "status": answer.status,
        "finish_reason": answer.finish_reason,
        "refusal": answer.refusal,
        "usage": {"prompt_tokens": answer.prompt_tokens, "output_tokens": answer.output_tokens},
    }
    path = directory / f"{ask.kind}.json"
    path.write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class Check:
    """One live check: the client, the sample and what was sent (uploads deleted at the end)."""

    def __init__(self, settings: Settings, sample: Path, record_dir: Path | None, out: TextIO):
        self.settings, self.sample, self.record_dir, self.out = settings, sample, record_dir, out
        with sample.open("rb") as reader:
            self.media = probe(reader, None, sample.stat().st_size)
        self.sha256 = hashlib.sha256(sample.read_bytes()).hexdigest()  # what --record names
        self.single = single_ask(self.media, settings)
        self.client = gemini.client(settings, self.single.plan.location)
        self.uploaded: list[Any] = []
        self.answers: list[Answer] = []

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def models_ok(self) -> bool:
        try:
            lines, ok = compare_models(listed_models(self.client), self.settings)
        except errors.APIError as exc:
            lines, ok = [f"listing the models failed: {exc}"], False
        for line in lines:
            self.say(f"  {line}")
        return ok

    def put(self, data: bytes, name: str, mime_type: str) -> str:
        """The bytes where the service reads media: the Files API (Developer), Cloud Storage
        under the output prefix (Vertex)."""
        if self.settings.gemini_mode == "developer":
            deadline = time.monotonic() + REQUEST_TIMEOUT_S
            file = gemini.upload(self.client, io.BytesIO(data), mime_type, name, deadline)
            self.uploaded.append(file)
            return file.uri or ""
        from functions.core import clients

        bucket = clients.storage_client().bucket(self.settings.results_bucket)
        blob = bucket.blob(f"{self.settings.output_prefix}live-check/{name}")
        blob.upload_from_string(data, content_type=mime_type)
        return f"gs://{bucket.name}/{blob.name}"

    def ask(self, uri: str, ask: Ask) -> Answer:
        answer = send(self.client, uri, ask)
        self.say(row(answer))
        if self.record_dir is not None:
            record(self.record_dir, self.sha256, self.media, ask, answer)
        self.answers.append(answer)
        return answer

    def voices(self, single: Answer) -> Ask | None:
        """The voices pass of the single run's answer: its reel cut, put and asked about (None:
        the answer has no voice to ask about)."""
        from functions.transcribe import reel  # PyAV: as in the transcriber, loaded here only

        whole_ms = round((self.media.duration_s or 0) * 1000)
        parsed = parse_text(single.text, whole_ms)
        placed = voices_slots(parsed.segments, parsed.speakers, whole_ms)
        if not placed:
            return None
        out = io.BytesIO()
        with self.sample.open("rb") as source:
            kind = reel.cut(source, placed, self.media.has_video, out)
        uri = self.put(out.getvalue(), f"voices.{kind.extension}", kind.mime_type)
        return voices_ask(self.single, placed, kind.mime_type, kind is reel.VIDEO, uri)

    def close(self) -> None:
        for file in self.uploaded:
            gemini.delete_file(self.client, file.name or "")


def run(
    settings: Settings,
    sample: Path = SAMPLE,
    max_usd: float = MAX_USD,
    record_dir: Path | None = None,
    out: TextIO = sys.stdout,
) -> int:
    check = Check(settings, sample, record_dir, out)
    where = settings.gemini_base_url or ("Vertex AI" if settings.gemini_mode == "vertex" else "")
    check.say(f"live-check: {settings.gemini_mode} mode {where}, model {settings.model}")
    models_ok = check.models_ok()
    single, media = check.single, check.media
    clip = clip_ask(media, settings)
    planned = [single, clip, continuation_ask(single, [], settings), planned_voices(single)]
    ceiling = ceiling_usd(planned, not media.has_video)
    if ceiling is None or ceiling > max_usd:
        shown = "unknown (no list price)" if ceiling is None else f"US${ceiling:.4f}"
        check.say(f"the requests could cost {shown}, over the cap of US${max_usd:g}: nothing sent")
        return 2
    check.say(
        f"{len(planned)} requests on {sample.name}: at most US${ceiling:.4f} (cap {max_usd:g})"
    )
    check.say(HEADER)
    try:
        uri = check.put(sample.read_bytes(), sample.name, single.plan.mime_type)
        first = check.ask(uri, single)
        check.ask(uri, clip)
        check.ask(uri, continuation_ask(single, parse_text(first.text).segments, settings))
        voices = check.voices(first)
        if voices is None:
            check.answers.append(Answer("voices", refusal="no voice in the single run's answer"))
            check.say(row(check.answers[-1]))
        else:
            check.ask(uri, voices)
    finally:
        check.close()
    bad = [a.kind for a in check.answers if not a.accepted] + ([] if models_ok else ["models"])
    check.say("every check passed" if not bad else f"failed: {', '.join(bad)}")
    return 1 if bad else 0
