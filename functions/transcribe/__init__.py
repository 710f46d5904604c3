"""Function A, `transcribe`: a finished upload → a Gemini call streamed to the results topic.

The flow, one module a step: `handler` (the entry: claim, then run) → `claims` (the lease on the
transcription document) → `media` (the probe: a real demuxer on ranged reads) → `bounds` (length
and clips bounded before any call) → `plan` (the request plan) → `prompt` (the instructions) →
`gemini` (the streamed call) → `chunks` (complete rows in ordered chunks) → `publisher` (the
results topic, with a claim check for large bodies).
"""
