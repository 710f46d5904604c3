"""The reads function: a signed-in app user asks for a short-lived URL to read their media or an
export of their transcript (decision 0022). `handler` → `tokens` (who is asking) → `objects` (is
it theirs, and which object) → `functions.core.signing` (the V4 signed GET URL)."""
