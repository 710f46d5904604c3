"""The store's flow for one Pub/Sub message: decode, record in Firestore, finish the run.

Return means done (acknowledged); raise means Pub/Sub redelivers (and, after the subscription's
maximum attempts, dead-letters). Superseded and duplicate chunks return; refused ones raise
(decision 0008).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from functions.core import clients, envelope, logs
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.store import accept, clips, finish, ledger, merging, recorder

log = logs.get_logger("store")
_configured = False


def handle(data: Any) -> recorder.Recorded:
    """Handle the data of a `messagePublished` CloudEvent (raises `PoisonMessage` if unusable)."""
    _configure_logs()
    chunk, message = envelope.decode(data, ResultChunk)
    extra = {
        "transcription_id": chunk.transcription_id,
        "generation": chunk.generation,
        "attempt": chunk.attempt,
        "seq": chunk.seq,
        "final": chunk.final,
        "message_id": message.message_id,
    }
    try:
        if chunk.clip is None:
            recorded = ledger.record(chunk, _loader(chunk))
        else:
            recorded = _record_clip(chunk)
    except accept.Refused as exc:
        log.warning(f"chunk refused: {exc}", extra=extra)
        raise
    log.info(f"chunk {recorded.action}", extra=extra | {"applied": recorded.applied})
    if recorded.event_pending:
        recorded.writes += finish.complete(chunk.transcription_id, recorded.run)
    return recorded


def _record_clip(chunk: ResultChunk) -> recorder.Recorded:
    """Record a clip's chunk on its clip document, then merge the clips into the transcription
    (at most about once a second, unless a later merge took the chunk in)."""
    recorded = clips.record(chunk, _loader(chunk))
    if recorded.action in ("applied", "duplicate"):
        assert chunk.clip is not None
        through = max(recorded.applied, default=chunk.seq) + 1
        merged = merging.merge_run(
            chunk.transcription_id, recorded.run, chunk.clip, through, recorded.finished
        )
        recorded.writes += merged.writes
        recorded.finished, recorded.event_pending = merged.finished, merged.event_pending
    return recorded


def _loader(chunk: ResultChunk) -> recorder.TextLoader:
    """Loads a chunk's text when the recorder applies it (after its claim check was accepted),
    once for this delivery's chunk: the recorder may read and decide more than once."""
    cached: list[str] = []

    def load(current: ResultChunk) -> str:
        if current is not chunk:
            return load_text(current)
        if not cached:
            cached.append(load_text(chunk))
        return cached[0]

    return load


def load_text(chunk: ResultChunk) -> str:
    """The chunk's text: inline, or from its claim-check object."""
    if chunk.text_uri is None:
        return chunk.text or ""
    uri = urlparse(chunk.text_uri)
    blob = clients.storage_client().bucket(uri.netloc).blob(uri.path.lstrip("/"))
    return str(blob.download_as_bytes().decode("utf-8"))


def _configure_logs() -> None:
    global _configured
    if not _configured:
        logs.configure(get_settings().log_level)
        _configured = True
