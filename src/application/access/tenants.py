"""Operator use cases: tenants, and their first API keys; authenticating a key (see api_keys.py)."""

from __future__ import annotations

from datetime import datetime

from undersign.application.access.api_keys import KEY_ID, KEY_PREFIX, ApiKeys, IssuedApiKey, split_api_key
from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import AlreadyExists
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.policy import default_policy
from undersign.domain.tenant import AccessRole, Tenant

__all__ = ["KEY_ID", "KEY_PREFIX", "IssuedApiKey", "Tenants", "split_api_key"]


class Tenants:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, keys: ApiKeys) -> None:
        self._uow, self._clock, self._ids, self._keys = uow, clock, ids, keys

    async def create(self, slug: str, *, sender_name: str | None = None) -> Tenant:
        """A new tenant, with the default policy its envelopes follow; `sender_name` signs its emails."""
        tenant = Tenant(id=self._ids.new_id(), slug=slug, created_at=self._clock.now(), sender_name=sender_name)
        async with self._uow() as uow:
            if await uow.tenants.by_slug(slug) is not None:
                raise AlreadyExists(f"tenant {slug!r} already exists")
            await uow.tenants.add(tenant)
            await uow.policies.add(default_policy(policy_id=self._ids.new_id(), tenant_id=tenant.id))
            await uow.commit()
        return tenant

    async def create_api_key(
        self, slug: str, role: AccessRole, *, expires_at: datetime | None = None, description: str = "",
        created_by: str | None = None,
    ) -> IssuedApiKey:
        """An operator's key for the tenant `slug` (ApiKeys.issue_for_tenant): `usk_<id>_<secret>`, shown once."""
        return await self._keys.issue_for_tenant(
            slug, role, expires_at=expires_at, description=description, created_by=created_by
        )

    async def authenticate(self, presented: str) -> Caller:
        """ApiKeys.authenticate: the caller a presented key stands for, or Unauthenticated."""
        return await self._keys.authenticate(presented)
