"""The stand-in's control API, as the benchmarks drive it (docs/standin.md, "Control")."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def standin(stand_in_url: str, name: str, body: dict[str, Any], timeout_s: float = 10) -> None:
    """POST to the stand-in's control API (`/_standin/config`, `/_standin/faults`, …)."""
    request = urllib.request.Request(
        f"{stand_in_url}/_standin/{name}",
        json.dumps(body).encode(),
        {"content-type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=timeout_s).close()


def calls(stand_in_url: str, timeout_s: float = 30) -> list[dict[str, Any]]:
    """The stand-in's log of model calls (`GET /_standin/calls`)."""
    with urllib.request.urlopen(f"{stand_in_url}/_standin/calls", timeout=timeout_s) as answer:
        return list(json.load(answer)["calls"])
