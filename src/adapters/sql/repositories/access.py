"""Tenants and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise, rowcount
from undersign.adapters.sql.tables.access import ApiKeyRow, TenantRow
from undersign.application.access.ports import ApiKeyCursor
from undersign.domain.tenant import ApiKey, Tenant


class SqlTenants:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, tenant: Tenant) -> None:
        await add_row(self._session, TenantRow.from_domain(tenant), f"tenant {tenant.slug!r} already exists")

    async def get(self, tenant_id: str) -> Tenant | None:
        row = await self._session.get(TenantRow, tenant_id, populate_existing=True)
        return row.to_domain() if row else None

    async def by_slug(self, slug: str) -> Tenant | None:
        row = await self._session.scalar(
            select(TenantRow).where(TenantRow.slug == slug).execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def save(self, tenant: Tenant) -> None:
        with conflicts_raise(f"tenant {tenant.slug!r} is being changed by another writer"):
            await self._session.execute(
                update(TenantRow)
                .where(TenantRow.id == tenant.id)
                .values(
                    sender_name=tenant.sender_name, just_in_time_users=tenant.just_in_time_users,
                    require_mfa=tenant.require_mfa,
                )
                .execution_options(**NO_SYNC)
            )


class SqlApiKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        await add_row(self._session, ApiKeyRow.from_domain(key), f"API key {key.id} already exists")

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._session.get(ApiKeyRow, key_id, populate_existing=True)
        return row.to_domain() if row else None

    async def for_tenant(self, tenant_id: str, *, limit: int, after: ApiKeyCursor | None = None) -> list[ApiKey]:
        """Newest first; ix_api_keys_tenant_created (tenant_id, created_at, id) serves every page."""
        query = select(ApiKeyRow).where(ApiKeyRow.tenant_id == tenant_id)
        if after is not None:
            # (created_at, id) < (cursor) spelled out, row-value comparison not being portable.
            query = query.where(
                ApiKeyRow.created_at <= after.created_at,
                or_(
                    ApiKeyRow.created_at < after.created_at,
                    and_(ApiKeyRow.created_at == after.created_at, ApiKeyRow.id < after.id),
                ),
            )
        query = query.order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id.desc()).limit(limit)
        return [row.to_domain() for row in await self._session.scalars(query.execution_options(**FRESH))]

    async def record_revocation(self, key: ApiKey) -> bool:
        # Only a key not yet revoked: of two revocations racing, the first committed stays (the
        # second's UPDATE waits for the first's row lock, then matches nothing).
        with conflicts_raise(f"API key {key.id} is being changed by another writer"):
            result = await self._session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key.id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=key.revoked_at)
                .execution_options(**NO_SYNC)
            )
        return rowcount(result) == 1

    async def touch(self, key_id: str, at: datetime) -> None:
        # One column, no read first: a revocation committed meanwhile is never written over.
        with conflicts_raise(f"API key {key_id} is being changed by another writer"):
            await self._session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < at))
                .values(last_used_at=at)
                .execution_options(**NO_SYNC)
            )
