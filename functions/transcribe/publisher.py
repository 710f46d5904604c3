"""Publish a run's chunks to the results topic, in order; oversize text goes by claim check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from functions.core import clients
from functions.core.messages import ClipTag, ResultChunk
from functions.core.settings import Settings
from functions.transcribe.chunks import Chunk
from functions.transcribe.claims import Claim

PUBLISH_TIMEOUT_S = 30.0
MAX_REASON_CHARS = 1000  # the message allows 2,000


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunPublisher:
    """Numbers a run's chunks and publishes each before the next (`future.result` with timeout)."""

    def __init__(self, settings: Settings, claim: Claim, bucket: str, seq: int = 0) -> None:
        self.settings, self.claim, self.seq = settings, claim, seq
        self.results_bucket = settings.results_bucket or bucket
        self.topic = clients.publisher().topic_path(settings.project, settings.results_topic)

    def publish(self, chunk: Chunk, **final: Any) -> ResultChunk:
        """Publish one chunk; keyword arguments (outcome, usage, …) make it the final one."""
        if final.get("reason"):  # it may quote uploader metadata or a long error
            final["reason"] = _capped(str(final["reason"]), MAX_REASON_CHARS)
        clip = self.claim.clip
        message = ResultChunk(
            transcription_id=self.claim.transcription_id,
            generation=self.claim.generation,
            attempt=self.claim.run_attempt,
            seq=self.seq,
            clip=ClipTag(index=clip.index, attempt=self.claim.attempt) if clip else None,
            final=bool(final),
            state=chunk.state,
            text=chunk.text,
            published_at=dt.datetime.now(dt.UTC),
            **final,
        )
        body = message.model_dump_json(exclude_none=True).encode()
        if len(body) > self.settings.max_message_bytes:
            message = message.model_copy(update={"text": None, "text_uri": self._park(message)})
            body = message.model_dump_json(exclude_none=True).encode()
        future = clients.publisher().publish(self.topic, body, **message.attributes())
        future.result(timeout=PUBLISH_TIMEOUT_S)
        self.seq += 1
        return message

    def _park(self, message: ResultChunk) -> str:
        """Claim check: the text goes to an object; the message carries its URI."""
        clip = f"-c{message.clip.index:03d}-{message.clip.attempt}" if message.clip else ""
        name = (
            f"{self.settings.output_prefix}{message.transcription_id}/chunks/"
            f"{message.generation}-{message.attempt}{clip}-{message.seq:05d}.txt"
        )
        blob = clients.storage_client().bucket(self.results_bucket).blob(name)
        blob.upload_from_string(message.text or "", content_type="text/plain; charset=utf-8")
        return f"gs://{self.results_bucket}/{name}"
