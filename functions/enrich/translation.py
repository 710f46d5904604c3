"""A translation (`translation_{lang}`): the transcript's rows in parts sized to the model's
output limit, one request each; the answers aligned by index onto the transcript's pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from functions.core.catalog import catalog
from functions.enrich import prompt
from functions.enrich.ask import Answer, Request
from functions.enrich.prompt import Row
from functions.enrich.result import Result
from functions.enrich.transcript import Page, Transcript
from functions.format.enrichments import parse_translation
from functions.store.finish import translated
from functions.transcribe.plan import Plan

PlanFor = Callable[[str], Plan]  # a prompt → its request's plan (MediaRejected: over the limits)


def language_name(lang: str) -> str:
    """The English name the catalog gives `lang`, else the code itself."""
    names: dict[str, str] = getattr(catalog(), "languages", None) or {}
    return names.get(lang, lang)


def parts(transcript: Transcript, max_rows: int, max_output_tokens: int) -> list[list[Row]]:
    return prompt.parts(transcript.rows, max_rows, max_output_tokens)


def requests(
    transcript: Transcript, lang: str, parts: Sequence[Sequence[Row]], plan_for: PlanFor
) -> list[Request]:
    """One request per part of the rows."""
    name = language_name(lang)
    prompts = [
        prompt.translation_prompt(lang, name, part, transcript.duration_ms) for part in parts
    ]
    return [Request(plan_for(text), text) for text in prompts]


def result(
    transcript: Transcript, parts: Sequence[Sequence[Row]], answers: Sequence[Answer]
) -> Result:
    """The answers aligned by index: a row without its translation keeps `text: null`."""
    texts: dict[int, str] = {}
    issues, missing, extra = [], 0, 0
    for part, answer in zip(parts, answers, strict=True):
        found = parse_translation(answer.text, [row.index for row in part])
        texts.update(found.texts)
        issues += found.issues
        missing, extra = missing + len(found.missing), extra + found.extra
    rows = len(transcript.rows)
    counts = {"rows": rows, "translated": len(texts), "missing": missing, "extra": extra}
    if not texts:
        first = issues[0].message if issues else "empty answer"
        return Result(
            "failed", f"no usable row in the answer ({first})", issues, {"counts": counts}
        )
    reasons = [f"{missing} of {rows} rows not translated"] if missing else []
    reasons += sorted({a.reason for a in answers if a.reason})
    pages = _translated(transcript.pages, texts)
    subtitles = translated(_segments(transcript.pages), [s["text"] for s in _segments(pages)])
    reason = "; ".join(reasons) or None
    return Result("completed", reason, issues, {"counts": counts}, pages=pages, subtitles=subtitles)


def _segments(pages: list[Page]) -> list[dict[str, Any]]:
    return [segment for page in pages for segment in page.segments]


def _translated(pages: list[Page], texts: dict[int, str]) -> list[Page]:
    """The transcript's pages, same ids and boundaries, each text translated (None: missing)."""
    translated, index = [], 0
    for page in pages:
        segments = []
        for segment in page.segments:
            start, voice = segment["start_ms"], segment.get("voice")
            segments.append({"start_ms": start, "voice": voice, "text": texts.get(index)})
            index += 1
        translated.append(Page(page.id, page.index, segments))
    return translated
