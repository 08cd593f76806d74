"""What every use case may need from the system: the time, identifiers, secrets, blob storage."""

from __future__ import annotations

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


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes:
        """The blob's bytes; raise KeyError if there is none under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if there is none."""
        ...
