"""One piece of PDF work at a time per envelope, within this process.

Parallel signers of one envelope all append to the same documents, so only one of them
can win each round. Letting them race optimistically works, but every loser throws away
its whole signature (seconds at B-LTA: a timestamp, revocation data, a document
timestamp) and tries again; twenty at once took minutes. Queueing them costs nothing:
the work could not have happened side by side anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Queue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    size: int = 0  # the holder and those waiting


class EnvelopeLocks:
    """An asyncio lock per envelope id, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}

    @asynccontextmanager
    async def hold(self, envelope_id: str) -> AsyncIterator[None]:
        queue = self._queues.setdefault(envelope_id, _Queue())
        queue.size += 1
        try:
            async with queue.lock:
                yield
        finally:
            queue.size -= 1
            if not queue.size:
                del self._queues[envelope_id]
