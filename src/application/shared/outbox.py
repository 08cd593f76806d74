"""The outbox: every recorded event, written in the transaction that recorded it, until dispatched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """A domain event waiting to be turned into jobs, written in the transaction that recorded it.

    Its id is the audit entry's (envelope id and sequence number), so the same event always
    has the same id, and so have the jobs made from it.
    """

    id: str
    tenant_id: str
    envelope_id: str
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]


class Outbox(Protocol):
    async def add(self, message: OutboxMessage) -> None: ...

    async def pending(self, limit: int) -> list[OutboxMessage]:
        """Up to `limit` messages not dispatched yet, oldest first; those another dispatcher holds may be passed over."""
        ...

    async def mark_dispatched(self, message_ids: list[str], at: datetime) -> None: ...

    async def purge(self, *, dispatched_before: datetime, limit: int) -> int:
        """Remove up to `limit` messages dispatched before `dispatched_before`; how many went.

        Only the announcement goes: the event itself stays in the audit chain.
        """
        ...
