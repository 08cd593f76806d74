"""The clock, identifiers, secrets and blob storage, in memory and predictable."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self._prefix = prefix

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._counter):04d}"


class SequentialSecrets:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_secret(self) -> str:
        return f"secret-{next(self._counter):04d}"

    def new_code(self, digits: int) -> str:
        """Distinct and predictable: the nth code is n, zero-padded."""
        return f"{next(self._counter):0{digits}d}"


class FakeBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    async def get(self, key: str) -> bytes:
        return self.blobs[key]

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)
