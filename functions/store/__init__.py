"""Function B, `store`: results-topic chunks → Firestore pages, completion event, exports.

The flow, one module a step: `handler` (the entry) → `envelope` (decode the Pub/Sub message) →
`ledger` (decide: superseded, duplicate, buffered or applied) → `state` (pure bookkeeping: pages,
statistics, issues) → `writes` (the chunk's writes, one guarded commit) → `finish` (exports and
the completion event, built by `functions.core.events`; `cost` estimates the run's price).
"""
