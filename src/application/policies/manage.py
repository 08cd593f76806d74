"""A tenant's signing policies: created, revised, listed, read, and the tenant's default chosen.

Through the API by callers that may (MANAGE_POLICIES to change, READ_POLICIES to read), and by
operators (the CLI) in any tenant. A revision never edits a version: it adds the next one, so an
envelope already sent keeps the version it was sent with (its snapshot), while drafts naming the
policy take the version current when they are sent. Revising may be held to the version the
caller read (If-Match): another version is PreconditionFailed, and nothing changes.

Every change is an administrative act, chained into the tenant's audit log in the unit of work
that makes it; a revision that changes nothing adds no version and records nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from undersign.application.access.audit_log import record_act
from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.tenants import in_tenant, require_tenant
from undersign.application.shared.errors import PreconditionFailed
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.policy import Policy
from undersign.domain.tenant import Tenant
from undersign.domain.tenant_events import DefaultPolicyChanged, PolicyCreated, PolicyRevised

T = TypeVar("T")

MAX_PAGE_SIZE = 100
MAX_POLICIES_PER_TENANT = 100
MAX_CURSOR_LENGTH = 64  # a policy id, as the platform makes them

# How the audit log names an operator whose login name the CLI could not tell.
UNNAMED_OPERATOR = "cli"


class PolicyPage(NamedTuple):
    items: list[Policy]
    default_id: str | None  # the tenant's default policy, which may or may not be on this page
    next_cursor: str | None  # the last policy's id, when more follow


class Policies:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    # -- through the API ---------------------------------------------------------------------

    async def create(self, caller: Caller, *, name: str, default: bool = False, **settings: Any) -> Policy:
        """Version 1 of a new policy of the caller's tenant, from `settings` (Policy's fields, the rest defaulted);
        with `default`, the tenant's default from now on."""
        caller.require(Permission.MANAGE_POLICIES)
        policy = self._new(caller.tenant_id, name, settings)
        return await in_fresh_unit_of_work(self._uow, lambda uow: self._create(uow, policy, default, caller.actor))

    async def revise(
        self, caller: Caller, policy_id: str, *, expected_version: int | None = None, **changes: Any
    ) -> Policy:
        """The policy's next version with `changes`; the same version when they change nothing.
        PreconditionFailed when `expected_version` is given and is not the current version."""
        caller.require(Permission.MANAGE_POLICIES)
        return await in_fresh_unit_of_work(self._uow, 
            lambda uow: self._revise(uow, caller.tenant_id, policy_id, changes, expected_version, caller.actor)
        )

    async def set_default(self, caller: Caller, policy_id: str) -> Policy:
        """Make the policy the tenant's default: envelopes that name no policy follow it when sent."""
        caller.require(Permission.MANAGE_POLICIES)
        return await in_fresh_unit_of_work(self._uow, lambda uow: self._set_default(uow, caller.tenant_id, policy_id, caller.actor))

    async def get(self, caller: Caller, policy_id: str) -> tuple[Policy, bool]:
        """The policy's current version, and whether it is the tenant's default."""
        caller.require(Permission.READ_POLICIES)
        async with self._uow() as uow:
            return await _with_default_flag(uow, await _require_policy(uow, caller.tenant_id, policy_id))

    async def list(self, caller: Caller, *, limit: int, after: str | None = None) -> PolicyPage:
        """A page of the tenant's policies (current versions), by id; `after` is a page's `next_cursor`."""
        caller.require(Permission.READ_POLICIES)
        return await self._page(caller.tenant_id, limit, after)

    # -- for operators (the CLI) -------------------------------------------------------------
    # `by` names the operator (`cli:<user>`) in the tenant's audit log.

    async def create_for_tenant(
        self, slug: str, *, name: str, default: bool = False, by: str | None = None, **settings: Any
    ) -> Policy:
        async def act(uow: UnitOfWork, tenant: Tenant) -> Policy:
            return await self._create(uow, self._new(tenant.id, name, settings), default, _op(by))

        return await in_tenant(self._uow, slug, act)

    async def revise_for_tenant(self, slug: str, policy_id: str, *, by: str | None = None, **changes: Any) -> Policy:
        return await in_tenant(self._uow, slug, lambda uow, t: self._revise(uow, t.id, policy_id, changes, None, _op(by)))

    async def set_default_for_tenant(self, slug: str, policy_id: str, *, by: str | None = None) -> Policy:
        return await in_tenant(self._uow, slug, lambda uow, t: self._set_default(uow, t.id, policy_id, _op(by)))

    async def list_for_tenant(self, slug: str) -> PolicyPage:
        """Every policy of the tenant `slug` (up to MAX_POLICIES_PER_TENANT, which a tenant never passes)."""
        async with self._uow() as uow:
            tenant = await require_tenant(uow, slug)
        return await self._page(tenant.id, MAX_POLICIES_PER_TENANT, None)

    async def get_for_tenant(self, slug: str, policy_id: str) -> tuple[Policy, bool]:
        async with self._uow() as uow:
            tenant = await require_tenant(uow, slug)
            return await _with_default_flag(uow, await _require_policy(uow, tenant.id, policy_id))

    # -- the parts ---------------------------------------------------------------------------

    def _new(self, tenant_id: str, name: str, settings: dict[str, Any]) -> Policy:
        if {"id", "tenant_id", "version"} & settings.keys():
            raise InvalidInput("a new policy's id, tenant and version are the platform's to choose")
        try:
            return Policy(id=self._ids.new_id(), tenant_id=tenant_id, name=name, **settings)
        except TypeError as error:  # a setting Policy does not have
            raise InvalidInput(f"a policy has no such setting: {error}") from error

    async def _page(self, tenant_id: str, limit: int, after: str | None) -> PolicyPage:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if after is not None and not 0 < len(after) <= MAX_CURSOR_LENGTH:
            raise InvalidInput("the cursor is not one this API returned")
        async with self._uow() as uow:
            items = await uow.policies.list(tenant_id, limit=limit + 1, after=after)
            default = await uow.policies.default_for(tenant_id)
        more = len(items) > limit
        items = items[:limit]
        return PolicyPage(items=items, default_id=default.id if default else None,
                          next_cursor=items[-1].id if more else None)



    async def _create(self, uow: UnitOfWork, policy: Policy, default: bool, actor: str) -> Policy:
        if len(await uow.policies.list(policy.tenant_id, limit=MAX_POLICIES_PER_TENANT)) >= MAX_POLICIES_PER_TENANT:
            raise InvalidInput(f"a tenant has at most {MAX_POLICIES_PER_TENANT} policies")
        previous = await uow.policies.default_for(policy.tenant_id) if default else None
        await uow.policies.add(policy, default=default)
        now = self._clock.now()
        await record_act(
            uow,
            PolicyCreated(
                tenant_id=policy.tenant_id, at=now, actor=actor, policy_id=policy.id, name=policy.name, default=default
            ),
        )
        if default:
            await record_act(
                uow,
                DefaultPolicyChanged(
                    tenant_id=policy.tenant_id, at=now, actor=actor, policy_id=policy.id,
                    previous_policy_id=previous.id if previous else None,
                ),
            )
        await uow.commit()
        return policy

    async def _revise(
        self, uow: UnitOfWork, tenant_id: str, policy_id: str, changes: dict[str, Any],
        expected_version: int | None, actor: str,
    ) -> Policy:
        current = await _require_policy(uow, tenant_id, policy_id)
        if expected_version is not None and expected_version != current.version:
            raise PreconditionFailed(
                f"policy {policy_id} is at version {current.version}, not {expected_version}: read it again"
            )
        revised = current.revised(**changes)
        changed = current.differences(revised)
        if not changed:
            return current
        await uow.policies.add_version(revised)
        await record_act(
            uow,
            PolicyRevised(
                tenant_id=tenant_id, at=self._clock.now(), actor=actor, policy_id=policy_id, version=revised.version,
                changed=changed,
            ),
        )
        await uow.commit()
        return revised

    async def _set_default(self, uow: UnitOfWork, tenant_id: str, policy_id: str, actor: str) -> Policy:
        policy = await _require_policy(uow, tenant_id, policy_id)
        previous = await uow.policies.default_for(tenant_id)
        if previous is not None and previous.id == policy.id:
            return policy
        await uow.policies.set_default(tenant_id, policy_id)
        await record_act(
            uow,
            DefaultPolicyChanged(
                tenant_id=tenant_id, at=self._clock.now(), actor=actor, policy_id=policy_id,
                previous_policy_id=previous.id if previous else None,
            ),
        )
        await uow.commit()
        return policy


def _op(by: str | None) -> str:
    return by or UNNAMED_OPERATOR


async def _require_policy(uow: UnitOfWork, tenant_id: str, policy_id: str) -> Policy:
    policy = await uow.policies.get(tenant_id, policy_id)
    if policy is None:
        raise NotFound(f"no policy {policy_id}")
    return policy


async def _with_default_flag(uow: UnitOfWork, policy: Policy) -> tuple[Policy, bool]:
    default = await uow.policies.default_for(policy.tenant_id)
    return policy, default is not None and default.id == policy.id


async def require_tenant(uow: UnitOfWork, slug: str) -> Tenant:
    tenant = await uow.tenants.by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant
