"""Batch mode (docs/decisions/0031-batch-collector.md, 0032-batch-mode.md): an upload's requests go
to Gemini's batch service at half the price.

- `lines`: a request's forms (the SDK's JSON, a JSONL line) and an output line's response;
- `collector`: a line added to the open batch in one transaction; sealing;
- `submit`: a sealed batch submitted once, under a lease, its job looked up before any create;
- `results`: a finished job's answers published as their runs' chunks; failures retried once;
- `poll`: the scheduled poll (`batch_poll`): seal, submit, follow the jobs.
"""
