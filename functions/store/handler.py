"""The store's flow for one Pub/Sub message: decode, record in Firestore, finish the run.

Return means done (acknowledged); raise means Pub/Sub redelivers (and, after the subscription's
maximum attempts, dead-letters). Superseded and duplicate chunks return.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from functions.core import clients, logs
from functions.core.messages import ResultChunk
from functions.core.settings import get_settings
from functions.store import envelope, finish, ledger

log = logs.get_logger("store")
_configured = False


def handle(data: Any) -> ledger.Recorded:
    """Handle the data of a `messagePublished` CloudEvent (raises `PoisonMessage` if unusable)."""
    _configure_logs()
    chunk, message = envelope.decode(data)
    extra = {
        "transcription_id": chunk.transcription_id,
        "generation": chunk.generation,
        "attempt": chunk.attempt,
        "seq": chunk.seq,
        "final": chunk.final,
        "message_id": message.message_id,
    }
    text = load_text(chunk)  # once: the ledger may read and decide more than once
    recorded = ledger.record(chunk, lambda c: text if c is chunk else load_text(c))
    log.info(f"chunk {recorded.action}", extra=extra | {"applied": recorded.applied})
    if recorded.event_pending:
        recorded.writes += finish.complete(chunk.transcription_id, recorded.run)
    return recorded


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
