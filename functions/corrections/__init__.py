"""The corrections function: the owner of a finished transcription renames a speaker, says two
voices are one person, or undoes a correction (docs/decisions/0023-owner-corrections.md).
`handler` (CORS, 400/401/403/405/409) → `ask` (what is asked, checked) → `apply` (authorised,
committed with its history entry) → `edits` (the change to the speakers and the transcript,
pure) → `follow` (exports regenerated, the `updated` event)."""
