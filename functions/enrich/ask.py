"""The model calls of one enrichment: each request streamed through the transcriber's client and
collected whole (the same call, limit check and error classes as a transcription's; a stall is
caught by the per-byte timeout rather than after a whole answer), transient failures retried
with backoff inside the time budget, several requests at once in threads."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from google import genai
from google.genai import types

from functions.core import logs
from functions.core.messages import Usage
from functions.transcribe import gemini
from functions.transcribe.plan import Plan

log = logs.get_logger("enrich")
MIN_CALL_S = 10.0  # don't start a call with less time than this left
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class Request:
    plan: Plan
    prompt: str


@dataclass(frozen=True)
class Answer:
    """What one request brought back: its text and usage, and how it ended (`completed`,
    `blocked` or `failed`; the reason says why, or that a completed answer was cut off)."""

    text: str
    usage: Usage | None
    outcome: str
    reason: str | None


def ask_all(
    client: genai.Client, requests: list[Request], parallel: int, deadline: float
) -> list[Answer | Exception]:
    """Every request's answer, in order, or the error that ended it (`gemini.TransientError`
    once the budget is spent, `gemini.TerminalError`): the others' answers are kept."""
    if len(requests) == 1:
        return [_answer_or_error(client, requests[0], deadline)]
    with ThreadPoolExecutor(min(parallel, len(requests)), thread_name_prefix="enrich") as pool:
        return list(pool.map(lambda r: _answer_or_error(client, r, deadline), requests))


def _answer_or_error(client: genai.Client, request: Request, deadline: float) -> Answer | Exception:
    try:
        return ask(client, request, deadline)
    except (gemini.TransientError, gemini.TerminalError) as exc:
        return exc


def ask(client: genai.Client, request: Request, deadline: float) -> Answer:
    """One request, retried while a transient failure leaves time for another call."""
    delay = 1.0
    while True:
        try:
            return _once(client, request, deadline)
        except gemini.TransientError as exc:
            pause = random.uniform(0, delay) if exc.retry_after_s is None else exc.retry_after_s
            delay = min(delay * 2, MAX_BACKOFF_S)
            if not exc.in_process or time.monotonic() + pause + MIN_CALL_S > deadline:
                raise
            log.warning(f"transient failure; retrying in {pause:.1f} s: {exc}")
            time.sleep(pause)


def _once(client: genai.Client, request: Request, deadline: float) -> Answer:
    pieces: list[str] = []
    result = gemini.StreamResult()
    parts = [types.Part(text=request.prompt)]
    timeout_s = max(MIN_CALL_S, deadline - time.monotonic())
    gemini.stream(client, request.plan, parts, pieces.append, result, timeout_s)
    outcome, reason = gemini.outcome(result)
    usage = Usage.model_validate(result.usage) if result.usage else None
    return Answer("".join(pieces), usage, outcome, reason)
