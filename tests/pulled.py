"""Messages pulled from a Pub/Sub emulator subscription in tests, acknowledged as read."""

from __future__ import annotations

from typing import Any


def pull_acknowledged(subscriber: Any, subscription: str, timeout: float = 5) -> list[bytes]:
    """The bodies of up to 10 messages waiting on `subscription`, acknowledged."""
    response = subscriber.pull(subscription=subscription, max_messages=10, timeout=timeout)
    if response.received_messages:
        ack = [m.ack_id for m in response.received_messages]
        subscriber.acknowledge(subscription=subscription, ack_ids=ack)
    return [m.message.data for m in response.received_messages]
