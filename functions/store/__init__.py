"""Function B, `store`: results-topic chunks → Firestore pages, completion event, exports.

The flow, one module a step: `handler` (the entry) → `envelope` (decode the Pub/Sub message) →
`ledger` (a single run's chunks on the transcription document) → `recorder` (decide:
superseded, duplicate, buffered or applied) → `state` (pure bookkeeping: pages, statistics,
issues) → `writes` (the chunk's writes, one guarded commit) → `finish` (exports and the
completion event, built by `functions.core.events`; `ending` writes the terminal fields, `cost`
estimates the run's price). Long media: `clips` (a clip's chunks on its own document, through
the same `recorder`) → `merging` (the clips into the transcription) → `voices` (the voices pass).
"""
