"""One piece of work at a time per envelope: its turn, taken the same way by every use case.

Parallel signers of one envelope all append to the same documents, so only one of them
can win each round. Letting them race optimistically works, but every loser throws away
its whole signature (seconds at B-LTA: a timestamp, revocation data, a document
timestamp) and tries again; twenty at once took minutes. Queueing them costs nothing:
the work could not have happened side by side anyway.

EnvelopeTurns is what the use cases use: the turn in this process and the envelope's row
lock across processes, in one step. The composition root makes one for the whole process,
so a signature, a seal, a reminder sweep and an archive renewal of the same envelope take
turns with each other too, not only with their own kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory


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


class EnvelopeTurns:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow, self._locks = uow, EnvelopeLocks()

    @asynccontextmanager
    async def hold(self, tenant_id: str, envelope_id: str) -> AsyncIterator[UnitOfWork]:
        """A unit of work in which the envelope is this caller's alone until it ends: load, act, save, commit."""
        async with self._locks.hold(envelope_id), self._uow() as uow:
            await uow.envelopes.hold(tenant_id, envelope_id)
            yield uow
