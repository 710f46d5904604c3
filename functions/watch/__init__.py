"""The watchdog: nothing stays `processing` forever (docs/decisions/0009-watchdog.md).

- `dead_letter`: a results chunk the store gave up on ends its run `failed`, naming the chunk;
- `sweep`: a run whose lease expired and that made no progress is re-driven once, then `failed`;
- `ending`: how both record `failed` and publish the completion event;
- `redrive`: the message that hands a stalled upload back to the transcriber.
"""
