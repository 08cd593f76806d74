"""The idempotency-key port over SQL: each call is one short transaction in a session of its own.

Outside any unit of work, so these sessions translate a database that is down, too slow or
out of connections into DatabaseUnavailable themselves, as a unit of work does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from undersign.adapters.sql.availability import own_session
from undersign.adapters.sql.repositories.shared import conflicts_raise, rowcount
from undersign.adapters.sql.tables.access import IdempotencyKeyRow
from undersign.adapters.sql.tables.base import column_values
from undersign.application.access.ports import IdempotencyRecord
from undersign.domain.errors import ConcurrencyConflict


class SqlIdempotencyKeys:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, record: IdempotencyRecord) -> bool:
        async with own_session(self._sessions) as session:
            session.add(IdempotencyKeyRow.from_domain(record))
            try:
                with conflicts_raise("the idempotency key was just claimed"):
                    await session.commit()
            except ConcurrencyConflict:
                # The primary key (tenant_id, idempotency_key) is taken: another request has it.
                return False
        return True

    async def get(self, tenant_id: str, credential_id: str, key: str) -> IdempotencyRecord | None:
        async with own_session(self._sessions) as session:
            row = await session.scalar(select(IdempotencyKeyRow).where(*_the_key(tenant_id, credential_id, key)))
            return row.to_domain() if row else None

    async def replace(self, record: IdempotencyRecord, *, held_by: str) -> bool:
        values = column_values(IdempotencyKeyRow.from_domain(record))
        del values["tenant_id"], values["credential_id"], values["idempotency_key"]
        async with own_session(self._sessions) as session:
            # Compare-and-set on the claim: of two requests replacing the same claim, one wins.
            result = await session.execute(
                update(IdempotencyKeyRow)
                .where(
                    *_the_key(record.tenant_id, record.credential_id, record.key),
                    IdempotencyKeyRow.claim == held_by,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return rowcount(result) == 1

    async def delete(self, tenant_id: str, credential_id: str, key: str, *, held_by: str) -> None:
        async with own_session(self._sessions) as session:
            await session.execute(
                delete(IdempotencyKeyRow)
                .where(*_the_key(tenant_id, credential_id, key), IdempotencyKeyRow.claim == held_by)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def purge(self, tenant_id: str, *, expired_at: datetime) -> int:
        async with own_session(self._sessions) as session:
            result = await session.execute(
                delete(IdempotencyKeyRow)
                .where(IdempotencyKeyRow.tenant_id == tenant_id, IdempotencyKeyRow.expires_at <= expired_at)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return rowcount(result)


def _the_key(tenant_id: str, credential_id: str, key: str) -> tuple[ColumnElement[bool], ...]:
    return (
        IdempotencyKeyRow.tenant_id == tenant_id,
        IdempotencyKeyRow.credential_id == credential_id,
        IdempotencyKeyRow.idempotency_key == key,
    )
