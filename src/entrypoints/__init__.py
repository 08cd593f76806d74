"""Thin shells around the use cases: the HTTP API, the CLI, and the composition root."""
