"""What every use case may need from the system: the time, identifiers, secrets, blob storage."""

from __future__ import annotations

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
    """Blobs by key. Large ones (documents) go through local files, never whole in memory:
    `local_file` to read one, `scratch_file` + `put_file` to make and store one."""

    async def put(self, key: str, data: bytes) -> None: ...

    def local_file(self, key: str) -> AbstractAsyncContextManager[str]:
        """The blob as a local file (its path), to read during the block, not change; raise KeyError if there is none."""
        ...

    def scratch_file(self, content: bytes = b"") -> AbstractAsyncContextManager[str]:
        """A new local file (its path) holding `content`, to write during the block; removed after it."""
        ...

    async def put_file(self, key: str, path: str) -> StoredBlob:
        """Store the scratch file at `path` under `key` and say what was stored.

        The file may be moved rather than copied: do not use it afterwards.
        """
        ...

    async def get(self, key: str) -> bytes:
        """The blob's bytes; raise KeyError if there is none under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if there is none."""
        ...
