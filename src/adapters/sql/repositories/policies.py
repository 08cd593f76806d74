"""Tenants' policies: every version of each, one row per version; the default is marked on its latest version's row."""

from __future__ import annotations

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise, rowcount
from undersign.adapters.sql.tables.policies import PolicyRow
from undersign.domain.policy import Policy


class SqlPolicies:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, policy: Policy, *, default: bool = True) -> None:
        detail = f"policy {policy.id} version {policy.version} or another default of the tenant was just added"
        if default:
            await self._clear_default(policy.tenant_id, detail)
        await add_row(self._session, PolicyRow.from_domain(policy, default=default), detail)

    async def add_version(self, policy: Policy) -> None:
        """The new row takes the default mark from the policy's older row, if that row had it."""
        detail = f"policy {policy.id} version {policy.version} was just added"
        with conflicts_raise(detail):
            result = await self._session.execute(
                update(PolicyRow)
                .where(PolicyRow.id == policy.id, PolicyRow.default_tenant_id == policy.tenant_id)
                .values(default_tenant_id=None)
                .execution_options(**NO_SYNC)
            )
        was_default = rowcount(result) > 0
        await add_row(self._session, PolicyRow.from_domain(policy, default=was_default), detail)

    async def get(self, tenant_id: str, policy_id: str) -> Policy | None:
        row = await self._session.scalar(
            self._latest(tenant_id).where(PolicyRow.id == policy_id).execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def list(self, tenant_id: str, *, limit: int, after: str | None = None) -> list[Policy]:
        query = self._latest(tenant_id)
        if after is not None:
            query = query.where(PolicyRow.id > after)
        rows = await self._session.scalars(query.order_by(PolicyRow.id).limit(limit).execution_options(**FRESH))
        return [row.to_domain() for row in rows]

    async def set_default(self, tenant_id: str, policy_id: str) -> None:
        detail = f"another default of tenant {tenant_id} was just chosen"
        # Read first: MySQL cannot UPDATE a table with a subquery over that same table.
        latest = await self._session.scalar(
            select(func.max(PolicyRow.version)).where(PolicyRow.tenant_id == tenant_id, PolicyRow.id == policy_id)
        )
        await self._clear_default(tenant_id, detail)
        with conflicts_raise(detail):
            await self._session.execute(
                update(PolicyRow)
                .where(PolicyRow.tenant_id == tenant_id, PolicyRow.id == policy_id, PolicyRow.version == latest)
                .values(default_tenant_id=tenant_id)
                .execution_options(**NO_SYNC)
            )

    async def default_for(self, tenant_id: str) -> Policy | None:
        row = await self._session.scalar(
            select(PolicyRow)
            .where(PolicyRow.tenant_id == tenant_id, PolicyRow.default_tenant_id == tenant_id)
            .execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def _clear_default(self, tenant_id: str, detail: str) -> None:
        with conflicts_raise(detail):
            await self._session.execute(
                update(PolicyRow)
                .where(PolicyRow.default_tenant_id == tenant_id)
                .values(default_tenant_id=None)
                .execution_options(**NO_SYNC)
            )

    @staticmethod
    def _latest(tenant_id: str) -> Select[tuple[PolicyRow]]:
        """The tenant's rows that are their policy's latest version."""
        newest = (
            select(PolicyRow.id, func.max(PolicyRow.version).label("version"))
            .where(PolicyRow.tenant_id == tenant_id)
            .group_by(PolicyRow.id)
            .subquery()
        )
        return select(PolicyRow).join(
            newest, (PolicyRow.id == newest.c.id) & (PolicyRow.version == newest.c.version)
        ).where(PolicyRow.tenant_id == tenant_id)
