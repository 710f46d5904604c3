"""How fast an answer is sent: as fast as possible by default, or at the pace of a real model
(`realistic_pace`), with every delay divided by `pace_scale` (docs/standin.md, "Pacing")."""

from __future__ import annotations

from dataclasses import dataclass

from standin.faults import Fault
from standin.protocol import Usage
from standin.state import Config

# A real model's pace, fitted to seed 001's reference (docs/standin.md explains the figures).
BASE_FIRST_TOKEN_S = 2.0  # request overhead and queueing, whatever the input
PREFILL_TOKENS_PER_S = 10_000.0  # input tokens read before the first output token
OUTPUT_TOKENS_PER_S = 150.0  # thoughts, then text


@dataclass(frozen=True)
class Pace:
    """How the text is sent: first-token delay, tokens per second, characters per chunk, where
    the signature goes; `scale` divides every delay."""

    rate: float
    chunk_chars: int
    signature_part: bool = False  # Gemini 3: a trailing empty-text part carries the signature
    first_token_s: float = 0.0
    scale: float = 1.0

    def chunk_delay(self, chars: int) -> float:
        """Seconds before a chunk of `chars` characters (4 characters ≈ 1 token)."""
        return chars / 4 / self.rate / self.scale if self.rate > 0 else 0.0


def first_token_s(usage: Usage) -> float:
    """A real model's time to first token: overhead, reading the input, then thinking."""
    reading_s = usage.prompt / PREFILL_TOKENS_PER_S
    return BASE_FIRST_TOKEN_S + reading_s + usage.thoughts / OUTPUT_TOKENS_PER_S


def pace_of(config: Config, fault: Fault, usage: Usage) -> Pace:
    """The pace of one call: the settings, realistic when asked; a fault's token_rate wins."""
    rate = OUTPUT_TOKENS_PER_S if config.realistic_pace else config.token_rate
    return Pace(
        rate=rate if fault.token_rate is None else fault.token_rate,
        chunk_chars=config.chunk_chars,
        signature_part=config.signature_part,
        first_token_s=first_token_s(usage) if config.realistic_pace else 0.0,
        scale=config.pace_scale,
    )
