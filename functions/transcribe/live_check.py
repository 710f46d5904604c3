"""`python -m functions live-check`: the first thing to run with a key. It asks the Gemini service
that the settings name (a Developer API key, or Vertex credentials and a project) which models it
serves, compares them with the catalog, then sends each kind of request Tabscribe makes — a
single run, a clip, a continuation and a voices pass — on a bundled sample, built by the same
code the transcriber uses, under a hard spending cap. One row per request; any refusal verbatim.

Exit status 0 when every request was accepted and finished, 1 otherwise (2: nothing was sent).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from google.genai import errors

from functions.core.catalog import catalog
from functions.core.settings import Settings
from functions.format.models import Segment
from functions.format.parser import StreamParser
from functions.transcribe import gemini
from functions.transcribe.continuation import resume_at
from functions.transcribe.media import MediaInfo, probe
from functions.transcribe.plan import Overrides, Plan, make_plan
from functions.transcribe.prompt import build_continuation_prompt, build_prompt

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "interview.mp4"
OUTPUT_CAP = 2_048  # output tokens per request, thinking included: the cost ceiling's bound
MAX_USD = 0.05
REQUEST_TIMEOUT_S = 180.0
EARLIER_TOKENS = OUTPUT_CAP  # a continuation shows rows of the single run's answer: at most this


@dataclass(frozen=True)
class Ask:
    """One request: its kind, plan and prompt, and (voices pass) the parts to send instead."""

    kind: str
    plan: Plan
    prompt: str
    extra_input_tokens: int = 0  # prompt data the plan's estimate does not count


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
    segments: list[Segment] = field(default_factory=list)

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


def capped(plan: Plan) -> Plan:
    return plan.model_copy(update={"max_output_tokens": min(plan.max_output_tokens, OUTPUT_CAP)})


def ceiling_usd(asks: Sequence[Ask], audio_only: bool) -> float | None:
    """The most the requests can cost at the catalog's list prices (None: a model without one)."""
    total = 0.0
    for ask in asks:
        price = (catalog().get(ask.plan.model) or _missing(ask.plan.model)).price
        if price is None:
            return None
        rate = price.input_audio if audio_only else price.input
        tokens_in = (ask.plan.estimated_input_tokens or 0) + ask.extra_input_tokens
        total += (tokens_in * rate + ask.plan.max_output_tokens * price.output) / 1e6
    return total


def _missing(model_id: str) -> Any:
    raise SystemExit(f"live-check: {model_id!r} is not in the model catalog")


def single_ask(media: MediaInfo, settings: Settings) -> Ask:
    plan = make_plan(media, settings.model, Overrides(), settings.gemini_mode, settings.location)
    return Ask("single", capped(plan), build_prompt(plan.duration_s, media.has_video, {}))


def clip_ask(media: MediaInfo, settings: Settings) -> Ask:
    """The first half, at the whole media's resolution, as the transcriber plans a clip."""
    whole = media.duration_s or 0.0
    clip = Overrides(start="0", end=f"{whole / 2:.0f}")
    plan = make_plan(
        media, settings.model, clip, settings.gemini_mode, settings.location, resolution_of_s=whole
    )
    return Ask("clip", capped(plan), build_prompt(plan.duration_s, media.has_video, {}))


def continuation_ask(single: Ask, earlier: Sequence[Segment], settings: Settings) -> Ask:
    """A continuation of the single run cut at its middle row: the rest of the media, and the
    rows before the cut in the prompt's data block."""
    whole_ms = round((single.plan.duration_s or 0) * 1000)
    point = (
        min(earlier, key=lambda row: abs(row.start_ms - whole_ms // 2)).start_ms if earlier else 0
    )
    plan = resume_at(single.plan, 0, point, whole_ms, settings.continuation_overlap_s)
    before = [row for row in earlier if row.start_ms <= point]
    with_hours = plan.timecode_format == "H:MM:SS"
    prompt = build_continuation_prompt(
        single.prompt, round((plan.start_s or 0) * 1000), point, before, with_hours
    )
    return Ask("continuation", plan, prompt, extra_input_tokens=EARLIER_TOKENS)


def send(client: Any, uri: str, ask: Ask) -> Answer:
    """One streamed request, as the transcriber sends it; the outcome, never an exception."""
    answer, chunks = Answer(ask.kind), list[str]()
    result = gemini.StreamResult()
    started = time.monotonic()
    try:
        parts = gemini.parts(uri, ask.plan, ask.prompt)
        gemini.stream(client, ask.plan, parts, chunks.append, result, REQUEST_TIMEOUT_S)
        answer.status = "200"
    except (gemini.TerminalError, gemini.TransientError) as exc:
        cause = exc.__cause__
        answer.status = str(cause.code) if isinstance(cause, errors.APIError) else "error"
        answer.refusal = str(exc)
    answer.seconds = round(time.monotonic() - started, 1)
    answer.finish_reason = result.block_reason or result.finish_reason
    answer.prompt_tokens = result.usage.get("prompt_tokens")
    answer.output_tokens = result.usage.get("output_tokens")
    answer.text = "".join(chunks)
    parsed = StreamParser().feed(answer.text, final=True)
    answer.segments = [row for row in parsed if type(row) is Segment]
    answer.rows, answer.speakers = len(answer.segments), len(parsed) - len(answer.segments)
    return answer


def compare_models(listed: Sequence[str], settings: Settings) -> tuple[list[str], bool]:
    """Lines on the catalog against the models the service lists; False: the default is not
    served (nothing else can work)."""
    served = set(listed)
    known = set(catalog().models)
    lines = [f"the service lists {len(served)} models"]
    ok = settings.model in served
    lines.append(f"model {settings.model}: " + ("served" if ok else "NOT SERVED by this service"))
    gone = sorted(set(settings.allowed_models) - served)
    if gone:
        lines.append("allowed by the settings but not listed (gone?): " + ", ".join(gone))
    new = sorted(m for m in served - known if m.startswith("gemini-"))
    if new:
        lines.append("listed but not in the catalog: " + ", ".join(new))
    return lines, ok


def listed_models(client: Any) -> list[str]:
    config = {"query_base": True} if client.vertexai else None
    return [str(m.name).rsplit("/", 1)[-1] for m in client.models.list(config=config)]


COLUMNS = (("kind", 13), ("status", 7), ("finish", 11), ("tokens in/out", 14), ("s", 6))
HEADER = "".join(f"{name:<{width}}" for name, width in COLUMNS) + "rows  speakers"


def row(answer: Answer) -> str:
    tokens = f"{answer.prompt_tokens or '-'}/{answer.output_tokens or '-'}"
    cells = (answer.kind, answer.status, answer.finish_reason or "-", tokens, f"{answer.seconds:g}")
    line = "".join(f"{cell:<{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))
    line += f"{answer.rows:<6}{answer.speakers}"
    return line + (f"\n    refused: {answer.refusal}" if answer.refusal else "")


def record(directory: Path, sample: Path, media: MediaInfo, ask: Ask, answer: Answer) -> None:
    """The answer as a stand-in registration (docs/standin.md) plus what was asked."""
    directory.mkdir(parents=True, exist_ok=True)
    entry = {
        "name": f"live-{ask.kind}",
        "sha256": hashlib.sha256(sample.read_bytes()).hexdigest(),
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


def run(
    settings: Settings,
    sample: Path = SAMPLE,
    max_usd: float = MAX_USD,
    record_dir: Path | None = None,
    out: TextIO = sys.stdout,
) -> int:
    say: Callable[[str], None] = lambda line: print(line, file=out, flush=True)  # noqa: E731
    mode = settings.gemini_mode
    where = settings.gemini_base_url or ("Vertex AI" if mode == "vertex" else "Gemini API")
    say(f"live-check: {mode} mode, {where}, model {settings.model}")
    with sample.open("rb") as reader:
        media = probe(reader, None, sample.stat().st_size)
    single = single_ask(media, settings)
    client = gemini.client(settings, single.plan.location)
    try:
        lines, models_ok = compare_models(listed_models(client), settings)
    except errors.APIError as exc:
        lines, models_ok = [f"listing the models failed: {exc}"], False
    for line in lines:
        say(f"  {line}")
    planned = [single, clip_ask(media, settings), continuation_ask(single, [], settings)]
    ceiling = ceiling_usd(planned, not media.has_video)
    if ceiling is None or ceiling > max_usd:
        shown = "unknown (no list price)" if ceiling is None else f"US${ceiling:.4f}"
        say(f"the requests could cost {shown}, over the cap of US${max_usd:g}: nothing sent")
        return 2
    say(f"{len(planned)} requests on {sample.name}; at most US${ceiling:.4f} (cap US${max_usd:g})")
    uri, uploaded = _media_uri(client, settings, sample, media, single.plan)
    answers: list[Answer] = []
    say(HEADER)
    try:
        for ask in planned[:2]:
            answers.append(_checked(client, uri, ask, sample, media, record_dir, say))
        follow = continuation_ask(single, answers[0].segments, settings)
        answers.append(_checked(client, uri, follow, sample, media, record_dir, say))
    finally:
        if uploaded is not None:
            gemini.delete_file(client, uploaded)
    bad = [a.kind for a in answers if not a.accepted] + ([] if models_ok else ["models"])
    say("every check passed" if not bad else f"failed: {', '.join(bad)}")
    return 1 if bad else 0


def _checked(
    client: Any,
    uri: str,
    ask: Ask,
    sample: Path,
    media: MediaInfo,
    record_dir: Path | None,
    say: Callable[[str], None],
) -> Answer:
    answer = send(client, uri, ask)
    say(row(answer))
    if record_dir is not None:
        record(record_dir, sample, media, ask, answer)
    return answer


def _media_uri(
    client: Any, settings: Settings, sample: Path, media: MediaInfo, plan: Plan
) -> tuple[str, Any]:
    """Developer mode: the sample uploaded once to the Files API (deleted at the end); Vertex:
    the sample's copy in Cloud Storage (`TABSCRIBE_RESULTS_BUCKET`)."""
    if settings.gemini_mode == "developer":
        with sample.open("rb") as reader:
            file = gemini.upload(
                client, reader, plan.mime_type, sample.name, time.monotonic() + 120
            )
        return file.uri or "", file
    from functions.core import clients

    blob = (
        clients.storage_client()
        .bucket(settings.results_bucket)
        .blob(f"{settings.output_prefix}live-check/{sample.name}")
    )
    blob.upload_from_filename(str(sample), content_type=media.mime_type)
    return f"gs://{settings.results_bucket}/{blob.name}", None
