"""Blobs as files under one directory, written atomically."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from undersign.adapters.storage.integrity import check_bytes, check_file
from undersign.adapters.storage.scratch import scratch_file
from undersign.application.shared.ports import StoredBlob

SAFE_KEY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
# Under the root, so a scratch file becomes a blob by a rename, not a copy; no key can name it.
SCRATCH_DIRECTORY = ".scratch"


class FileBlobStore:
    """A blob is written to a temporary file, flushed to disk and renamed into place,
    so a reader never sees half a file and a crash never leaves one under its key."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._scratch = root / SCRATCH_DIRECTORY
        self._scratch.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not SAFE_KEY.match(key) or any(part.startswith(".") for part in key.split("/")):
            raise ValueError(f"unsafe blob key {key!r}")
        return self._root / key

    async def put(self, key: str, data: bytes) -> StoredBlob:
        await asyncio.to_thread(self._write, self._path(key), data)
        return StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    async def get(self, key: str, sha256: str) -> bytes:
        try:
            data = await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None
        return check_bytes(key, data, sha256)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    @asynccontextmanager
    async def local_file(self, key: str, sha256: str) -> AsyncIterator[str]:
        # The blob's own file: a blob is never changed in place (a new one replaces it by a
        # rename), so a reader holding it open keeps reading the bytes that were checked.
        path = self._path(key)
        try:
            await asyncio.to_thread(check_file, key, path, sha256)
        except (FileNotFoundError, IsADirectoryError):
            raise KeyError(key) from None
        yield str(path)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        # A directory at a time, so a store of millions of blobs is never listed whole in memory.
        walk = os.walk(self._root)
        while (found := await asyncio.to_thread(self._next_directory, walk)) is not None:
            for key in found:
                if key.startswith(prefix):
                    yield key

    def _next_directory(self, walk: Iterator[tuple[str, list[str], list[str]]]) -> list[str] | None:
        """The keys in the walk's next directory; None once it is done. Dot-names (scratch files,
        writes under way) are never keys, and dot-directories are not walked."""
        try:
            directory, subdirectories, files = next(walk)
        except StopIteration:
            return None
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        base = Path(directory).relative_to(self._root)
        return [(base / name).as_posix() for name in sorted(files) if not name.startswith(".")]

    def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AbstractAsyncContextManager[str]:
        return scratch_file(self._scratch, content)

    async def put_file(self, key: str, path: str) -> StoredBlob:
        return await asyncio.to_thread(self._move_in, Path(path), self._path(key))

    @staticmethod
    def _move_in(source: Path, path: Path) -> StoredBlob:
        with source.open("rb") as file:
            stored = StoredBlob(sha256=hashlib.file_digest(file, "sha256").hexdigest(), size=file.tell())
            os.fsync(file.fileno())
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, path)
        return stored

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
