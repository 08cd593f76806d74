"""Operator use cases: tenants, and their first API keys; authenticating a key (see api_keys.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from undersign.application.access.api_keys import KEY_ID, KEY_PREFIX, ApiKeys, IssuedApiKey, split_api_key
from undersign.application.access.audit_log import record_act
from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import AlreadyExists
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.errors import NotFound
from undersign.domain.policy import default_policy
from undersign.domain.tenant import AccessRole, Tenant
from undersign.domain.tenant_events import SignInPolicyChanged

T = TypeVar("T")

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

    async def set_sign_in_policy(
        self, slug: str, *, just_in_time_users: bool | None = None, require_mfa: bool | None = None, actor: str
    ) -> Tenant:
        """Change what is given (None: keep it); an act in the tenant's audit log when anything changed."""
        async with self._uow() as uow:
            tenant = await uow.tenants.by_slug(slug)
            if tenant is None:
                raise NotFound(f"no tenant {slug!r}")
            changed = replace(
                tenant,
                just_in_time_users=tenant.just_in_time_users if just_in_time_users is None else just_in_time_users,
                require_mfa=tenant.require_mfa if require_mfa is None else require_mfa,
            )
            if changed != tenant:
                await uow.tenants.save(changed)
                await record_act(uow, SignInPolicyChanged(
                    tenant_id=tenant.id, at=self._clock.now(), actor=actor,
                    just_in_time_users=changed.just_in_time_users, require_mfa=changed.require_mfa,
                ))
                await uow.commit()
        return changed

    async def authenticate(self, presented: str) -> Caller:
        """ApiKeys.authenticate: the caller a presented key stands for, or Unauthenticated."""
        return await self._keys.authenticate(presented)


async def require_tenant(uow: UnitOfWork, slug: str) -> Tenant:
    """The tenant called `slug` (how operators name it on the CLI); NotFound if there is none."""
    tenant = await uow.tenants.by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant


async def in_tenant(uow: UnitOfWorkFactory, slug: str, act: Callable[[UnitOfWork, Tenant], Awaitable[T]]) -> T:
    """`act` on the tenant `slug`, as in_fresh_unit_of_work (an operator's command names its tenant)."""

    async def in_it(unit: UnitOfWork) -> T:
        return await act(unit, await require_tenant(unit, slug))

    return await in_fresh_unit_of_work(uow, in_it)
