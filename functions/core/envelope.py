"""Decode a Pub/Sub `messagePublished` CloudEvent's data into the message model it carries.

Anything that cannot be understood raises `PoisonMessage`: the function answers 500, Pub/Sub
retries a bounded number of times and then dead-letters it. Nothing is dropped silently.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


class PoisonMessage(ValueError):
    """A message that no retry will make valid (it ends in the dead-letter topic)."""


class PubsubMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    data: str = Field(min_length=1)
    attributes: dict[str, str] = Field(default_factory=dict)
    message_id: str | None = Field(default=None, alias="messageId")
    publish_time: str | None = Field(default=None, alias="publishTime")


class MessagePublishedData(BaseModel):
    """The CloudEvent data of `google.cloud.pubsub.topic.v1.messagePublished`."""

    model_config = ConfigDict(extra="ignore")

    message: PubsubMessage
    subscription: str | None = None


Body = TypeVar("Body", bound=BaseModel)


def decode(data: Any, model: type[Body]) -> tuple[Body, PubsubMessage]:
    """The message body as `model` and its envelope; `PoisonMessage` names what is wrong."""
    message = message_of(data)
    return body_of(message, model), message


def message_of(data: Any) -> PubsubMessage:
    """The Pub/Sub message of a `messagePublished` event's data (its attributes say what the
    body is, where one topic carries more than one kind)."""
    try:
        if isinstance(data, bytes | str):
            return MessagePublishedData.model_validate_json(data).message
        return MessagePublishedData.model_validate(data).message
    except ValidationError as exc:
        raise PoisonMessage(f"bad Pub/Sub envelope: {_first(exc)}") from None


def body_of(message: PubsubMessage, model: type[Body]) -> Body:
    try:
        body = base64.b64decode(message.data, validate=True)
    except (binascii.Error, ValueError):
        raise PoisonMessage("message data is not valid base64") from None
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise PoisonMessage(f"message body is not a {model.__name__}: {_first(exc)}") from None


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "body"
    return f"{where}: {error['msg']}"
