"""The clock, identifiers, secrets and blob storage, in memory and predictable."""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from undersign.adapters.storage.integrity import check_bytes
from undersign.application.shared.ports import StoredBlob
from undersign.application.shared.stored_files import StoredFile


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
    """Blobs in a dict; local files are real temporary files, removed as the contract says (`open_files` checks)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.open_files: set[str] = set()  # scratch and local files not removed yet

    async def put(self, key: str, data: bytes) -> StoredBlob:
        self.blobs[key] = data
        return StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    async def get(self, key: str, sha256: str) -> bytes:
        return check_bytes(key, self.blobs[key], sha256)

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    @asynccontextmanager
    async def local_file(self, key: str, sha256: str) -> AsyncIterator[str]:
        async with self.scratch_file(check_bytes(key, self.blobs[key], sha256)) as path:
            yield path

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        for key in list(self.blobs):
            if key.startswith(prefix):
                yield key

    @asynccontextmanager
    async def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AsyncIterator[str]:
        fd, path = tempfile.mkstemp(prefix="fake-blob-", suffix=".pdf")
        self.open_files.add(path)
        try:
            with open(fd, "wb") as file:
                if isinstance(content, bytes):
                    file.write(content)
                else:
                    async for chunk in content:
                        file.write(chunk)
            yield path
        finally:
            Path(path).unlink(missing_ok=True)
            self.open_files.discard(path)

    async def put_file(self, key: str, path: str) -> StoredBlob:
        data = Path(path).read_bytes()
        self.blobs[key] = data
        return StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data))


async def contents(stored: StoredFile) -> bytes:
    """A downloaded file's bytes, read as the HTTP edge reads them: through `open()`, checked."""
    async with stored.open() as path:
        return Path(path).read_bytes()
