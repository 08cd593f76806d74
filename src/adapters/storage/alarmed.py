"""Any blob store, with its integrity failures raised as alarms: counted (a Prometheus counter),
logged, and handed to a recorder (the tenant audit log, application/evidence/corruption.py)
before the reader gets the error."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import structlog

from undersign.adapters.storage.metrics import BLOBS_CORRUPTED
from undersign.application.shared.errors import BlobCorrupted
from undersign.application.shared.ports import BlobStore, StoredBlob

log = structlog.get_logger("undersign.storage")


class AlarmedBlobStore:
    def __init__(self, store: BlobStore, record: Callable[[BlobCorrupted], Awaitable[None]]) -> None:
        self._store, self._record = store, record

    async def put(self, key: str, data: bytes) -> StoredBlob:
        return await self._store.put(key, data)

    async def put_file(self, key: str, path: str) -> StoredBlob:
        return await self._store.put_file(key, path)

    def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AbstractAsyncContextManager[str]:
        return self._store.scratch_file(content)

    async def get(self, key: str, sha256: str) -> bytes:
        try:
            return await self._store.get(key, sha256)
        except BlobCorrupted as error:
            await self._alarm(error)
            raise

    @asynccontextmanager
    async def local_file(self, key: str, sha256: str) -> AsyncIterator[str]:
        async with AsyncExitStack() as opened:
            try:
                path = await opened.enter_async_context(self._store.local_file(key, sha256))
            except BlobCorrupted as error:
                await self._alarm(error)
                raise
            yield path

    async def delete(self, key: str) -> None:
        await self._store.delete(key)

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        return self._store.keys(prefix)

    async def _alarm(self, error: BlobCorrupted) -> None:
        BLOBS_CORRUPTED.inc()
        log.error("blob_corrupted", blob_key=error.key, expected_sha256=error.expected, actual_sha256=error.actual)
        try:
            await self._record(error)
        except Exception:  # the reader still gets BlobCorrupted; the log above holds the finding
            log.exception("blob_corruption_not_recorded", blob_key=error.key)
