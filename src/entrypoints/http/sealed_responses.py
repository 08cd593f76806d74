"""Stored idempotent responses, sealed with the API key that made the request.

A response kept for replays may carry a signing link's token or a webhook's secret, which
the platform otherwise keeps only as hashes (or not at all). So the body is stored
encrypted (AES-256-GCM) under a key derived (HKDF-SHA256) from the presented API key, which
the database does not hold: whoever reads the table or a backup of it learns nothing, and
only a repeat with the same API key can open it, which is also the only one it is replayed to.
"""

from __future__ import annotations

import os
from dataclasses import replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from undersign.application.access.ports import StoredResponse

_INFO = b"undersign idempotent response v1"
_NONCE_BYTES = 12


def seal(response: StoredResponse, api_key: str) -> StoredResponse:
    nonce = os.urandom(_NONCE_BYTES)
    return replace(response, body=nonce + AESGCM(_key(api_key)).encrypt(nonce, response.body, None))


def unseal(response: StoredResponse, api_key: str) -> StoredResponse | None:
    """The response as it was sent; None if it cannot be opened with this key (nothing to replay)."""
    nonce, sealed = response.body[:_NONCE_BYTES], response.body[_NONCE_BYTES:]
    try:
        return replace(response, body=AESGCM(_key(api_key)).decrypt(nonce, sealed, None))
    except (InvalidTag, ValueError):
        return None


def _key(api_key: str) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(api_key.encode())
