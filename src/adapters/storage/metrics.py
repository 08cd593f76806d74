"""The storage's Prometheus metrics (served at /metrics: entrypoints/http/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter

BLOBS_CORRUPTED = Counter(
    "undersign_blobs_corrupted",  # exposed as undersign_blobs_corrupted_total
    "Reads refused because a stored blob no longer had the SHA-256 recorded for it (each refusal counts).",
)
