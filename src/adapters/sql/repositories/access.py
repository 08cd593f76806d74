"""Tenants and their API keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, add_row
from undersign.adapters.sql.tables.access import ApiKeyRow, TenantRow
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


class SqlApiKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        await add_row(self._session, ApiKeyRow.from_domain(key), f"API key {key.id} already exists")

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._session.get(ApiKeyRow, key_id, populate_existing=True)
        return row.to_domain() if row else None
