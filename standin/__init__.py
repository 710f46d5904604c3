"""An offline stand-in for the Gemini API (Developer API, Vertex AI, Files API), for local runs
and tests. It is not Gemini: it replays authored responses for known media (docs/standin.md)."""

from standin.server import StandIn, start
from standin.state import NOTICE

__all__ = ["NOTICE", "StandIn", "start"]
