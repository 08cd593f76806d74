"""Scratch files: local files a store's caller writes (a signature in the making), removed after use."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


@asynccontextmanager
async def scratch_file(directory: Path | str | None, content: bytes = b"", *, prefix: str = "") -> AsyncIterator[str]:
    """A new file in `directory` (None: the system's temporary directory) holding `content`; removed after the block."""
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix or None, suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        yield path
    finally:
        await asyncio.to_thread(Path(path).unlink, missing_ok=True)
