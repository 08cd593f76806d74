"""The audit log: each envelope's chain of entries, each sequence number written once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, add_row
from undersign.adapters.sql.tables.audit import AuditEventRow
from undersign.domain.audit import AuditEntry


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None:
        row = await self._session.scalar(
            self._select(tenant_id, envelope_id).order_by(AuditEventRow.seq.desc()).limit(1)
        )
        return row.to_domain() if row else None

    async def append(self, tenant_id: str, entry: AuditEntry) -> None:
        if entry.at.utcoffset() != timedelta(0):
            # Stored in UTC, `at` would come back with another isoformat() than the one hashed.
            raise ValueError(f"audit entries are timestamped in UTC, not {entry.at.isoformat()}")
        await add_row(
            self._session,
            AuditEventRow.from_domain(tenant_id, entry),
            f"entry {entry.seq} of envelope {entry.envelope_id}'s audit chain was written by someone else",
        )

    async def entries(self, tenant_id: str, envelope_id: str) -> list[AuditEntry]:
        rows = await self._session.scalars(self._select(tenant_id, envelope_id).order_by(AuditEventRow.seq))
        return [row.to_domain() for row in rows]

    @staticmethod
    def _select(tenant_id: str, envelope_id: str) -> Select[AuditEventRow]:
        return (
            select(AuditEventRow)
            .where(AuditEventRow.tenant_id == tenant_id, AuditEventRow.envelope_id == envelope_id)
            .execution_options(**FRESH)
        )
