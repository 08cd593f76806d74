"""What every use case may need from the system: the time, identifiers, secrets, blob storage."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new unique, unguessable identifier."""
        ...


class SecretGenerator(Protocol):
    def new_secret(self) -> str:
        """A new URL-safe secret with at least 256 bits of entropy."""
        ...

    def new_code(self, digits: int) -> str:
        """A new one-time code of `digits` decimal digits, each drawn uniformly (leading zeros kept)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredBlob:
    sha256: str  # hex
    size: int


class BlobStore(Protocol):
    """Blobs by key: a blob is stored whole or not at all, and never changed (a new revision is a
    new key). Large ones (documents) go through local files, never whole in memory: `local_file`
    to read one, `scratch_file` + `put_file` to make and store one.

    Every read names the SHA-256 recorded when the blob was stored and is checked against it
    before a byte reaches the caller: a blob that no longer matches raises BlobCorrupted.
    """

    async def put(self, key: str, data: bytes) -> StoredBlob: ...

    def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AbstractAsyncContextManager[str]:
        """A new local file (its path) holding `content` (written a chunk at a time as it comes, for an
        iterable), to write during the block; removed after it."""
        ...

    async def put_file(self, key: str, path: str) -> StoredBlob:
        """Store the scratch file at `path` under `key` and say what was stored.

        The file may be moved rather than copied: do not use it afterwards.
        """
        ...

    def local_file(self, key: str, sha256: str) -> AbstractAsyncContextManager[str]:
        """The blob as a local file (its path), checked against `sha256` before the block runs, to
        read during the block, not change. KeyError if there is none; BlobCorrupted if it differs."""
        ...

    async def get(self, key: str, sha256: str) -> bytes:
        """The blob's bytes, checked against `sha256`; KeyError if there is none, BlobCorrupted if they differ."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if there is none."""
        ...

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every stored key that starts with `prefix`, in no promised order (for checks and migrations)."""
        ...
