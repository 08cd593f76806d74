"""The audit logs: each envelope's chain of entries and each tenant's chain of administrative acts,
each sequence number written once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, add_row, conflicts_raise
from undersign.adapters.sql.tables.audit import AuditEventRow, TenantAuditEntryRow
from undersign.domain.audit import AuditEntry, TenantAuditEntry


class SqlAuditLog:
    """Entries are written with the unit of work's commit, in one INSERT per commit rather than one each.

    Each envelope's last entry is read once per unit of work (loading the envelope reads it
    too: SqlEnvelopes hands it over) and then followed as entries are appended. Reading it
    once is enough: an envelope's entries are written in the commit that creates or saves it,
    and a save's version check fails if anyone else wrote meanwhile; were the entry stale all
    the same, the primary key (envelope_id, seq) refuses a second entry of the same number,
    and the commit fails as a ConcurrencyConflict.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._heads: dict[tuple[str, str], AuditEntry | None] = {}

    def knows_last(self, tenant_id: str, envelope_id: str, entry: AuditEntry | None) -> None:
        """`entry` is the envelope's last one, as read with the envelope (None: it has none yet)."""
        self._heads[tenant_id, envelope_id] = entry

    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None:
        if (tenant_id, envelope_id) in self._heads:
            return self._heads[tenant_id, envelope_id]
        # A new entry may be waiting for the flush this query starts: a taken number is a conflict here too.
        with conflicts_raise(f"envelope {envelope_id}'s audit chain was written by someone else"):
            row = await self._session.scalar(
                self._select(tenant_id, envelope_id).order_by(AuditEventRow.seq.desc()).limit(1)
            )
        entry = row.to_domain() if row else None
        self._heads[tenant_id, envelope_id] = entry
        return entry

    async def append(self, tenant_id: str, entry: AuditEntry) -> None:
        if entry.at.utcoffset() != timedelta(0):
            # Stored in UTC, `at` would come back with another isoformat() than the one hashed.
            raise ValueError(f"audit entries are timestamped in UTC, not {entry.at.isoformat()}")
        self._session.add(AuditEventRow.from_domain(tenant_id, entry))
        self._heads[tenant_id, entry.envelope_id] = entry

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


class SqlTenantAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def last(self, tenant_id: str) -> TenantAuditEntry | None:
        row = await self._session.scalar(
            select(TenantAuditEntryRow)
            .where(TenantAuditEntryRow.tenant_id == tenant_id)
            .order_by(TenantAuditEntryRow.seq.desc())
            .limit(1)
            .execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def append(self, entry: TenantAuditEntry) -> None:
        if entry.at.utcoffset() != timedelta(0):
            # Stored in UTC, `at` would come back with another isoformat() than the one hashed.
            raise ValueError(f"audit entries are timestamped in UTC, not {entry.at.isoformat()}")
        await add_row(
            self._session,
            TenantAuditEntryRow.from_domain(entry),
            f"entry {entry.seq} of tenant {entry.tenant_id}'s audit log was written by someone else",
        )

    async def entries(self, tenant_id: str, *, limit: int, after: int | None = None) -> list[TenantAuditEntry]:
        """The primary key (tenant_id, seq) serves every page."""
        query = select(TenantAuditEntryRow).where(TenantAuditEntryRow.tenant_id == tenant_id)
        if after is not None:
            query = query.where(TenantAuditEntryRow.seq > after)
        query = query.order_by(TenantAuditEntryRow.seq).limit(limit).execution_options(**FRESH)
        return [row.to_domain() for row in await self._session.scalars(query)]
