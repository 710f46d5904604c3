"""Pub/Sub push delivery at the deployed concurrency, for benchmarks on the local stack.

The Pub/Sub emulator pushes a subscription's messages through two push loops, each waiting for
its delivery's answer before the next (two `PushLoop`s per subscription, hard-coded in
cloud-pubsub-emulator 0.8.20): at most two deliveries at once. Deployed, push delivery is as
concurrent as the endpoint's instances (`gemini_max_concurrent_clips`, 20, for the clips;
`store_max_instances`, 10, for the store; one request per instance). With two at a time, the 11
clips of a 100-minute upload run in six waves, which says nothing about the design.

`Push` takes a push subscription over: it turns it into a pull subscription (the emulator's push
loops stop), pulls with a streaming pull and posts each message to the endpoint in the push
format, up to `concurrency` at once; a 2xx answer acks it, anything else nacks it (redelivered,
counted by the subscription's dead-letter policy as for push). `stop` restores the push config.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.cloud.pubsub_v1 import SubscriberClient, types
from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler

DELIVERY_TIMEOUT_S = 600.0  # the clips' ack deadline: a whole model call


class Push:
    def __init__(self, project: str, subscription: str, endpoint: str, concurrency: int) -> None:
        self.subscriber = SubscriberClient()
        self.path = self.subscriber.subscription_path(project, subscription)
        self.endpoint, self.concurrency = endpoint, concurrency
        self.future: Any = None

    def start(self) -> None:
        self.subscriber.modify_push_config(subscription=self.path, push_config=types.PushConfig())
        scheduler = ThreadScheduler(ThreadPoolExecutor(self.concurrency))
        self.future = self.subscriber.subscribe(
            self.path,
            self._deliver,
            flow_control=types.FlowControl(max_messages=self.concurrency),
            scheduler=scheduler,
        )

    def stop(self) -> None:
        if self.future is not None:
            self.future.cancel()
            self.future.result(timeout=30)
            self.future = None
        self.subscriber.modify_push_config(
            subscription=self.path,
            push_config=types.PushConfig(push_endpoint=self.endpoint),
        )

    def _deliver(self, message: Any) -> None:
        body: dict[str, Any] = {
            "message": {
                "data": base64.b64encode(message.data).decode(),
                "attributes": dict(message.attributes),
                "messageId": message.message_id,
                "publishTime": message.publish_time.isoformat().replace("+00:00", "Z"),
            },
            "subscription": self.path,
        }
        if message.delivery_attempt is not None:
            body["deliveryAttempt"] = message.delivery_attempt
        request = urllib.request.Request(
            self.endpoint,
            json.dumps(body).encode(),
            {"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as response:
                delivered = 200 <= response.status < 300
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            delivered = False
        if delivered:
            message.ack()
        else:
            message.nack()
