"""The owner's deletion of a transcription: its media, results, documents, any run in flight
(decision 0024)."""
