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


class EnvelopeLocks:
    """An asyncio lock per envelope id, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, envelope_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(envelope_id, asyncio.Lock())
        self._users[envelope_id] = self._users.get(envelope_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[envelope_id] -= 1
            if not self._users[envelope_id]:
                del self._users[envelope_id], self._locks[envelope_id]

    def __len__(self) -> int:
        """How many envelopes have a holder or a waiter right now."""
        return len(self._locks)
