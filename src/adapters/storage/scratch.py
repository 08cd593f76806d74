"""Scratch files: local files a store's caller writes (a signature in the making), removed after use."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


@asynccontextmanager
async def scratch_file(
    directory: Path | str | None, content: bytes | AsyncIterable[bytes] = b"", *, prefix: str = ""
) -> AsyncIterator[str]:
    """A new file in `directory` (None: the system's temporary directory) holding `content`, an iterable
    written a chunk at a time as it comes; removed after the block (also when writing it fails)."""
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix or None, suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as file:
            if isinstance(content, bytes):
                file.write(content)
            else:
                async for chunk in content:
                    await asyncio.to_thread(file.write, chunk)
        yield path
    finally:
        await asyncio.to_thread(Path(path).unlink, missing_ok=True)
