"""Sealing what the server hands out and gets back (AES-256-GCM under a key derived with HKDF-SHA256).

`purpose` separates the keys: a value sealed for one use never opens for another. Used for the
stored responses of idempotent requests (sealed with the caller's own secret: the database does
not hold it) and for the cookie that carries a sign-in in progress (sealed with the
installation's secret key).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


def seal_bytes(data: bytes, secret: bytes, purpose: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_key(secret, purpose)).encrypt(nonce, data, None)


def open_bytes(sealed: bytes, secret: bytes, purpose: bytes) -> bytes | None:
    """What was sealed; None if it was not sealed with this secret for this purpose, or was changed since."""
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        return AESGCM(_key(secret, purpose)).decrypt(nonce, body, None)
    except (InvalidTag, ValueError):
        return None


def _key(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(secret)


def seal_text(data: bytes, secret: bytes, purpose: bytes) -> str:
    """`data` sealed as text a cookie can carry (hex)."""
    return seal_bytes(data, secret, purpose).hex()


def open_text(sealed: str | None, secret: bytes, purpose: bytes) -> bytes | None:
    """What `seal_text` sealed; None for anything else (absent, not hex, another key or purpose, changed)."""
    try:
        raw = bytes.fromhex(sealed or "")
    except ValueError:
        return None
    return open_bytes(raw, secret, purpose) if raw else None
