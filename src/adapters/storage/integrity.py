"""The check every blob read passes: the bytes have the SHA-256 recorded when they were stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

from undersign.application.shared.errors import BlobCorrupted


def check_bytes(key: str, data: bytes, sha256: str) -> bytes:
    """`data`, if its SHA-256 is `sha256`."""
    _compare(key, sha256, hashlib.sha256(data).hexdigest())
    return data


def check_file(key: str, path: Path | str, sha256: str) -> None:
    """Raise BlobCorrupted unless the file at `path` has the SHA-256 `sha256`."""
    with open(path, "rb") as file:
        _compare(key, sha256, hashlib.file_digest(file, "sha256").hexdigest())


def check_digest(key: str, digest: hashlib._Hash, sha256: str) -> None:
    """For a reader that hashed the bytes as they went by (a download, say)."""
    _compare(key, sha256, digest.hexdigest())


def _compare(key: str, expected: str, actual: str) -> None:
    if actual != expected.lower():
        raise BlobCorrupted(key, expected=expected, actual=actual)
