"""Function B, `store`: results-topic chunks → Firestore pages, completion event, exports.

Modules: `envelope` (decode the Pub/Sub message), `state` (pure bookkeeping: pages, statistics,
issues), `ledger` (one guarded Firestore commit per chunk: order, duplicates, runs), `finish`
(exports and the completion event), `handler` (the flow), `clients` (lazy, once per instance).
"""
