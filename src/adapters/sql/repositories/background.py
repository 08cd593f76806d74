"""The outbox the dispatcher reads, and the dead letters of jobs that failed for good."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, conflicts_raise
from undersign.adapters.sql.tables.background import DeadLetterRow, OutboxMessageRow
from undersign.adapters.sql.tables.base import column_values
from undersign.application.background.ports import DeadLetter
from undersign.application.shared.outbox import OutboxMessage


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: OutboxMessage) -> None:
        """Written with the commit, in one INSERT with the commit's other messages.

        Its id is its audit entry's: a taken id means someone else wrote that entry first,
        and the commit fails as a ConcurrencyConflict.
        """
        self._session.add(OutboxMessageRow.from_domain(message))

    async def pending(self, limit: int) -> list[OutboxMessage]:
        """Along ix_outbox_pending; messages of one instant come in id order.

        Locked until the unit of work ends, passing over rows another dispatcher has locked
        (PostgreSQL, MariaDB), so that dispatchers in several workers share the work rather
        than each doing all of it. SQLite has one writer anyway: FOR UPDATE is not rendered.
        """
        rows = await self._session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.dispatched_at.is_(None))
            .order_by(OutboxMessageRow.at, OutboxMessageRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(**FRESH)
        )
        return [row.to_domain() for row in rows]

    async def mark_dispatched(self, message_ids: list[str], at: datetime) -> None:
        if not message_ids:
            return
        # A message another dispatcher marked first keeps its time.
        await self._session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id.in_(message_ids), OutboxMessageRow.dispatched_at.is_(None))
            .values(dispatched_at=at)
            .execution_options(**NO_SYNC)
        )

    async def purge(self, *, dispatched_before: datetime, limit: int) -> int:
        """Along ix_outbox_pending (dispatched_at first); ids first, as MySQL takes no LIMIT in a DELETE's subquery."""
        ids = list(await self._session.scalars(
            select(OutboxMessageRow.id)
            .where(OutboxMessageRow.dispatched_at < dispatched_before)
            .order_by(OutboxMessageRow.dispatched_at)
            .limit(limit)
        ))
        if ids:
            await self._session.execute(
                delete(OutboxMessageRow).where(OutboxMessageRow.id.in_(ids)).execution_options(**NO_SYNC)
            )
        return len(ids)


class SqlDeadLetters:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, letter: DeadLetter) -> None:
        """DELETE then INSERT: a replacement the same way on every server (of two racing, one conflicts)."""
        await self.delete(letter.id)
        with conflicts_raise(f"dead letter {letter.id} was just added"):
            await self._session.execute(insert(DeadLetterRow).values(**column_values(DeadLetterRow.from_domain(letter))))

    async def get(self, letter_id: str) -> DeadLetter | None:
        row = await self._session.get(DeadLetterRow, letter_id, populate_existing=True)
        return row.to_domain() if row else None

    async def list(self, *, limit: int) -> list[DeadLetter]:
        rows = await self._session.scalars(
            select(DeadLetterRow)
            .order_by(DeadLetterRow.failed_at.desc(), DeadLetterRow.id.desc())
            .limit(limit)
            .execution_options(**FRESH)
        )
        return [row.to_domain() for row in rows]

    async def delete(self, letter_id: str) -> None:
        await self._session.execute(
            delete(DeadLetterRow).where(DeadLetterRow.id == letter_id).execution_options(**NO_SYNC)
        )
