"""The shared core both functions stand on: settings, clients, logs, the results message, names.

It knows nothing of either function (import-linter holds that: `pyproject.toml`).
"""
