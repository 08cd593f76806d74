"""Stored idempotent responses, sealed with the credential that made the request.

A response kept for replays may carry a signing link's token or a webhook's secret, which
the platform otherwise keeps only as hashes (or not at all). So the body is stored
encrypted under a key derived from the caller's secret (sealing.py): the presented API key,
the session's token, which the database does not hold (only their hashes); for a bearer
JWT, which changes at every refresh, the installation's secret key with the token's
subject. Whoever reads the table or a backup of it learns nothing, and only a repeat by the
same credential can open it, which is also the only one it is replayed to.
"""

from __future__ import annotations

from dataclasses import replace

from undersign.application.access.ports import StoredResponse
from undersign.entrypoints.http.sealing import open_bytes, seal_bytes

# The first purpose string: responses stored before this module moved still open.
_PURPOSE = b"undersign idempotent response v1"


def seal(response: StoredResponse, secret: bytes) -> StoredResponse:
    return replace(response, body=seal_bytes(response.body, secret, _PURPOSE))


def unseal(response: StoredResponse, secret: bytes) -> StoredResponse | None:
    """The response as it was sent; None if it cannot be opened with this secret (nothing to replay)."""
    body = open_bytes(response.body, secret, _PURPOSE)
    return None if body is None else replace(response, body=body)
