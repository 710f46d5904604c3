"""The chapters and the summary (`chapters`): one request over every row and the identified
speakers; the answer's chapters and summary go on the document."""

from __future__ import annotations

from functions.enrich import prompt
from functions.enrich.ask import Answer, Request
from functions.enrich.result import Result
from functions.enrich.transcript import Transcript
from functions.enrich.translation import PlanFor
from functions.format.enrichments import parse_chapters


def requests(transcript: Transcript, plan_for: PlanFor) -> list[Request]:
    text = prompt.chapters_prompt(transcript.rows, transcript.speakers, transcript.duration_ms)
    return [Request(plan_for(text), text)]


def result(transcript: Transcript, answer: Answer) -> Result:
    found = parse_chapters(answer.text, transcript.duration_ms)
    if not found.chapters:
        return Result.failed("no usable chapter in the answer", found.issues)
    reasons = [] if found.summary else ["the answer has no summary"]
    reasons += [answer.reason] if answer.reason else []
    document = {
        "chapters": [{"start_ms": c.start_ms, "title": c.title} for c in found.chapters],
        "summary": found.summary,
    }
    return Result("completed", "; ".join(reasons) or None, found.issues, document=document)
