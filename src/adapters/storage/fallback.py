"""Two stores read as one while documents move between them (UNDERSIGN_BLOB_FALLBACK_URL):
writes go to the new store; a read that finds nothing there reads the old one; a delete
(a purge) removes the blob from both. `undersign storage migrate` then copies what is left."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from undersign.application.shared.ports import BlobStore, StoredBlob


class FallbackBlobStore:
    def __init__(self, primary: BlobStore, fallback: BlobStore) -> None:
        self._primary, self._fallback = primary, fallback

    @property
    def parts(self) -> tuple[BlobStore, BlobStore]:
        return self._primary, self._fallback

    async def put(self, key: str, data: bytes) -> StoredBlob:
        return await self._primary.put(key, data)

    def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AbstractAsyncContextManager[str]:
        return self._primary.scratch_file(content)

    async def put_file(self, key: str, path: str) -> StoredBlob:
        return await self._primary.put_file(key, path)

    async def get(self, key: str, sha256: str) -> bytes:
        try:
            return await self._primary.get(key, sha256)
        except KeyError:
            return await self._fallback.get(key, sha256)

    @asynccontextmanager
    async def local_file(self, key: str, sha256: str) -> AsyncIterator[str]:
        async with AsyncExitStack() as opened:
            try:
                path = await opened.enter_async_context(self._primary.local_file(key, sha256))
            except KeyError:
                path = await opened.enter_async_context(self._fallback.local_file(key, sha256))
            yield path

    async def delete(self, key: str) -> None:
        await self._primary.delete(key)
        await self._fallback.delete(key)

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        return self._primary.keys(prefix)  # what is stored where documents now go
