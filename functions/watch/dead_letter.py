"""A results chunk the store gave up on (the dead-letter topic) ends its run `failed`; a clip's
task or chunk ends only its clip (`clips`: a gap, and the transcription completes); an
enrichment's task fails only that enrichment (`enrichments`, decision 0026).

Without it, the chunks after a lost one wait in `pending` forever and the document stays
`processing`. The dead-lettered message is the original one, and it ends something only when it
is provably that run's (decision 0021): its body parses as the message its attributes say it is
(a results chunk, a clip, voices, continuation or enrichment task), its attributes repeat the
body's ids, and a task matches what the transcription's document recorded (`functions.core.tasks`);
the run is then failed only while it is still the document's run, the document is not terminal
and the store does not hold the chunk (`ending.fail_run`). Anything else is poison: logged with a
`poison` field (what a log-based metric counts) and acknowledged, changing no transcription. A
run it cannot end is still ended by the sweep.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.core import clients, logs, tasks
from functions.core.documents import TRANSCRIPTIONS
from functions.core.messages import ClipTask, ContinueTask, EnrichTask, ResultChunk, VoicesTask
from functions.core.settings import get_settings
from functions.watch import clips, ending, enrichments

log = logs.get_logger("watch")
DELIVERIES = "CloudPubSubDeadLetterSourceDeliveryCount"  # set by Pub/Sub on a dead letter
Lost = ResultChunk | ClipTask | VoicesTask | ContinueTask | EnrichTask
# what a message's attributes say it is: a clips-topic task's `task`, else a chunk's `seq`
TASKS: dict[str, type[Lost]] = {
    "voices": VoicesTask,
    "continue": ContinueTask,
    "enrich": EnrichTask,
}


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    data: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    message_id: str | None = Field(default=None, alias="messageId")


class Envelope(BaseModel):
    """The data of a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent."""

    model_config = ConfigDict(extra="ignore")

    message: Message


@dataclass(frozen=True)
class LostChunk:
    transcription_id: str
    run: ending.RunRef
    seq: int | None
    deliveries: str | None
    clip: int | None = None  # a clip's chunk, or (without seq) a clip task
    task: str | None = None  # a clips-topic message's kind: `continue`, `voices`, `enrich`, none
    message: Lost | None = None  # the message, as its body parsed

    @property
    def reason(self) -> str:
        tries = f" after {self.deliveries} deliveries" if self.deliveries else ""
        if self.task == "enrich":
            return f"its task could not be run{tries} (dead-lettered)"
        if self.task == "continue":
            return (
                f"the continuation of its cut-off output could not be run{tries} "
                "(dead-lettered); the transcript stops where the output was cut off"
            )
        if self.clip is not None and self.seq is None:
            return f"its task could not be transcribed{tries} (dead-lettered)"
        if self.clip is not None:
            return f"its results chunk {self.seq} could not be stored{tries} (dead-lettered)"
        run = f"run {self.run.generation}/{self.run.attempt}"
        chunk = f"results chunk {self.seq}" if self.seq is not None else "a results chunk"
        return (
            f"{chunk} of {run} could not be stored{tries} "
            "(dead-lettered); the transcript is incomplete"
        )


def handle(data: Any) -> str:
    """End the run (or the clip) of a dead-lettered message; what happened, in a word (for logs
    and tests). Poison is logged and acknowledged: no retry would change it."""
    try:
        message = Envelope.model_validate(data).message
    except ValidationError as exc:
        log.warning(f"dead letter without a Pub/Sub envelope; ignored: {exc.errors()[0]['msg']}")
        return "unreadable"
    lost = lost_chunk(message)
    why = lost if isinstance(lost, str) else _refusal(lost)
    if why is not None:
        extra = {"message_id": message.message_id, "attributes": message.attributes}
        extra["poison"] = "dead_letter"  # a log-based metric counts these
        log.warning(f"dead letter is poison: {why}; no transcription changed", extra=extra)
        return "poison"
    assert isinstance(lost, LostChunk)
    if isinstance(lost.message, EnrichTask):  # only the enrichment fails (decision 0026)
        name = lost.message.enrichment
        return enrichments.fail_enrichment(
            lost.transcription_id, lost.run, name, lost.reason, by="dead-letter"
        )
    if lost.clip is not None:
        return clips.end_clip(lost.transcription_id, lost.run, lost.clip, lost.reason)
    return ending.fail_run(
        lost.transcription_id, lost.run, lost.reason, by="dead-letter", lost_seq=lost.seq
    )


def lost_chunk(message: Message) -> LostChunk | str:
    """The run, seq and clip of a dead-lettered message, read from its body; or why it is
    poison: a body that is not the message its attributes say, or attributes that differ."""
    try:
        body = base64.b64decode(message.data, validate=True)
    except (binascii.Error, ValueError):
        return "its data is not base64"
    attributes = message.attributes
    kinds = _kinds(attributes)
    if not kinds:
        return f"it says it is a {attributes.get('task')!r} task, which does not exist"
    parsed: Lost | None = None
    for kind in kinds:
        try:
            parsed = kind.model_validate_json(body)
            break
        except ValidationError:
            continue
    if parsed is None:
        return f"its body is not a {' or '.join(k.__name__ for k in kinds)}"
    differ = sorted(k for k, v in parsed.attributes().items() if attributes.get(k, v) != v)
    if differ:
        return f"its attributes differ from its body: {', '.join(differ)}"
    return _lost(parsed, attributes.get(DELIVERIES))


def _kinds(attributes: dict[str, str]) -> list[type[Lost]]:
    """What the attributes say the message is (a task's `task`, a chunk's `seq`, a clip task's
    `clip`); what it may be when they say nothing."""
    if "task" in attributes:
        return [TASKS[attributes["task"]]] if attributes["task"] in TASKS else []
    if "seq" in attributes:
        return [ResultChunk]
    if "clip" in attributes:
        return [ClipTask]
    return [ResultChunk, ClipTask, *TASKS.values()]


def _lost(parsed: Lost, deliveries: str | None) -> LostChunk:
    tid, generation = parsed.transcription_id, parsed.generation
    if isinstance(parsed, ResultChunk):
        clip = parsed.clip.index if parsed.clip else None
        run = ending.RunRef(generation, parsed.attempt)
        return LostChunk(tid, run, parsed.seq, deliveries, clip, task=None, message=parsed)
    if isinstance(parsed, ContinueTask):
        run = ending.RunRef(generation, parsed.upload_attempt)
        clip = parsed.clip.index if parsed.clip else None
        return LostChunk(tid, run, None, deliveries, clip, "continue", parsed)
    run = ending.RunRef(generation, parsed.attempt)
    if isinstance(parsed, EnrichTask):
        return LostChunk(tid, run, None, deliveries, None, "enrich", parsed)
    if isinstance(parsed, VoicesTask):
        return LostChunk(tid, run, None, deliveries, parsed.clips, "voices", parsed)
    return LostChunk(tid, run, None, deliveries, parsed.index, None, parsed)


def _refusal(lost: LostChunk) -> str | None:
    """Why a dead-lettered message does not match what its run recorded: a task, the document's
    record of it (`functions.core.tasks`); a clip's chunk, a slot the run has. None for a message
    of another run (that changes nothing); a chunk's seq is checked where its run is ended."""
    db = clients.firestore_client(get_settings().firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(lost.transcription_id)
    doc = ref.get(field_paths=tasks.FIELDS).to_dict() or {}
    if doc and ending.RunRef.of(doc) != lost.run:
        return None
    if isinstance(lost.message, EnrichTask):
        return tasks.not_asked(lost.message, doc)
    if not isinstance(lost.message, ResultChunk):
        assert lost.message is not None
        try:
            return tasks.refusal(lost.message, doc)
        except tasks.NotAskedYet:
            return "a voices task the store never asked"
    count = (doc.get("clips") or {}).get("count")
    if lost.clip is None:
        return None if count is None else "a single run's chunk on a run of clips"
    asked = bool((doc.get("clips") or {}).get("voices"))
    if count is None or not (lost.clip < count or (lost.clip == count and asked)):
        return f"a chunk of clip {lost.clip}, which the run does not have"
    return None
