"""The upload function: a signed-in app user asks for a URL to upload media to, under their own uid
(docs/decisions/0011-owner-bound-uploads.md). `handler` → `tokens` (who is asking) → `admit` (may
they, and how much today: decision 0019) → `ask` (what they may upload) → `signing` (the V4 signed
URL)."""
