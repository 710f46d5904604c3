"""Batch mode's tests stand on the transcriber's test stack (emulators, the stand-in, the
functions served by functions-framework)."""

from tests.transcribe.conftest import stack, stand_in

__all__ = ["stack", "stand_in"]
