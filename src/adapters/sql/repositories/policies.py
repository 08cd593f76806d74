"""Tenants' policies: the one added last is the tenant's default."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise
from undersign.adapters.sql.tables.policies import PolicyRow
from undersign.domain.policy import Policy


class SqlPolicies:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, policy: Policy) -> None:
        """The policy added last becomes its tenant's default."""
        detail = f"policy {policy.id} version {policy.version} or another default of the tenant was just added"
        with conflicts_raise(detail):
            await self._session.execute(
                update(PolicyRow)
                .where(PolicyRow.default_tenant_id == policy.tenant_id)
                .values(default_tenant_id=None)
                .execution_options(**NO_SYNC)
            )
        await add_row(self._session, PolicyRow.from_domain(policy, default=True), detail)

    async def default_for(self, tenant_id: str) -> Policy | None:
        row = await self._session.scalar(
            select(PolicyRow)
            .where(PolicyRow.tenant_id == tenant_id, PolicyRow.default_tenant_id == tenant_id)
            .execution_options(**FRESH)
        )
        return row.to_domain() if row else None
