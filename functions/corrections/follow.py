"""After a correction is committed: the exports written again from the corrected transcript, by
the store's own code, then the `transcription.updated` event (docs/events.md).

A failure here answers 500 with the correction already recorded: the document and its pages are
right, and the next correction writes the files and an event again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from functions.core.events import CorrectionRef, build_update_event
from functions.store.finish import publish, write_exports


@dataclass(frozen=True)
class Made:
    seq: int
    action: Literal["rename", "merge", "undo"]
    by: str
    at: dt.datetime


def regenerate(
    transcription_id: str, doc: dict[str, Any], segments: list[dict[str, Any]], made: Made
) -> dict[str, str]:
    """Write the exports of `doc` and `segments`, publish the event; the exports' URIs."""
    uris = write_exports(transcription_id, doc, segments)
    correction = CorrectionRef(seq=made.seq, action=made.action, by=made.by)
    publish(build_update_event(transcription_id, doc, uris, correction, made.at))
    return uris
