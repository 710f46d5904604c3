"""The whole local stack, started by a module's fixture and always on the stand-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from stack.local import LocalStack
from tests.paths import ROOT


@contextmanager
def running_stack(name: str) -> Iterator[LocalStack]:
    """A local stack with its logs under `.local/<name>`; a real Gemini key is set aside."""
    key = os.environ.pop("GEMINI_API_KEY", None)
    stack = LocalStack(workdir=ROOT / ".local" / name)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        if key is not None:
            os.environ["GEMINI_API_KEY"] = key
