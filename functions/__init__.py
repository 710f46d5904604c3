"""Tabscribe's deployed logic, one package per part (docs/decisions/0005-package-layout.md):

- `transcribe`: function A, an upload → a Gemini call streamed to the results topic;
- `store`: function B, results-topic chunks → Firestore, exports and the completion event;
- `format`: the compact output contract both share (tags, columns, the streaming parser);
- `core`: what both stand on (settings, clients, logs, the results message, document names).

The two functions never import each other; `core` imports only `format`; `format` imports
nothing of the project. `make lint` checks it (import-linter, `pyproject.toml`).
"""
