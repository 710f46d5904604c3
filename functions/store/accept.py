"""What the store accepts: only chunks of the run the transcriber's claim records on the document.

Terraform lets only the transcriber publish to the results topic; this is the second line. A
chunk is refused (`Refused`: the delivery fails, Pub/Sub retries it and dead-letters it) when
there is no claimed document for it, when it claims a newer run than the document's, when it
comes after its run's final chunk, or when its claim check points outside the transcription's
own results prefix. A chunk of an older run is not refused: it is superseded (acknowledged).
docs/decisions/0008-store-accepts-only-claimed-runs.md explains the choice.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from functions.core.envelope import PoisonMessage
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.store.state import Run


class Refused(PoisonMessage):
    """A well-formed chunk the transcriber did not announce: no retry will make it acceptable."""


def claimed_run(doc: dict[str, Any] | None) -> Run:
    """The run the transcriber's claim records (`run`); `Refused` when there is none."""
    if doc is None:
        raise Refused("no transcription document: nobody claimed this id")
    try:
        return Run.model_validate(doc.get("run"))
    except ValidationError:
        raise Refused("the transcription document records no claimed run") from None


def check_run(chunk: ResultChunk, claimed: Run) -> None:
    """Refuse a chunk of a newer run than the claim (an older one is merely superseded)."""
    run = Run.of(chunk)
    if run.key > claimed.key:
        raise Refused(
            f"run ({run.generation}, {run.attempt}) is newer than the claimed "
            f"({claimed.generation}, {claimed.attempt})"
        )


def check_clip(chunk: ResultChunk, doc: dict[str, Any]) -> None:
    """Refuse a clip chunk of a run that planned no such clip (clip `count`, the one after the
    last, is the voices pass)."""
    count = (doc.get("clips") or {}).get("count") or 0
    if chunk.clip is not None and chunk.clip.index > count:
        raise Refused(f"clip {chunk.clip.index} is not in the run's plan of {count} clips")


def check_text_uri(chunk: ResultChunk, doc: dict[str, Any]) -> None:
    """Refuse a claim check that does not point under the transcription's own results prefix."""
    if chunk.text_uri is None:
        return
    bucket = results_bucket(doc)
    prefix = f"gs://{bucket}/{get_settings().output_prefix}{chunk.transcription_id}/"
    if not bucket or not chunk.text_uri.startswith(prefix) or chunk.text_uri == prefix:
        raise Refused(f"claim check {chunk.text_uri} is not under {prefix}")


def results_bucket(doc: dict[str, Any]) -> str | None:
    """Where the transcriber parks claim checks and the store writes exports."""
    return get_settings().results_bucket or (doc.get("source") or {}).get("bucket")
