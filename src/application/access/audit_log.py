"""The tenant audit log: every administrative act in a tenant (an API key created or revoked; later
users invited, roles changed, SSO settings changed, sign-ins failed, accounts locked), hash-chained
per tenant like an envelope's audit trail (domain/audit.py), read and verified by owners and auditors.

An act and its entry are written in the same unit of work (`record_act`, called by the use case
that acts, before it commits): an act is recorded, or neither happened. Two acts racing in one
tenant chain after the same entry; the second to commit is a ConcurrencyConflict and its use
case starts again (write_conflicts.retry_on_conflict), so the chain stays one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.domain.audit import TenantAuditEntry, chain_tenant, verify_tenant_chain
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.tenant_events import TenantEvent

MAX_PAGE_SIZE = 100


# How many entries verification reads at a time: a long log is checked without holding all of it.
VERIFY_BATCH = 500


async def record_act(uow: UnitOfWork, event: TenantEvent) -> TenantAuditEntry:
    """Chain `event` after the tenant's last entry, in `uow` (committed with the act, or not at all)."""
    entry = chain_tenant(await uow.tenant_audit.last(event.tenant_id), event)
    await uow.tenant_audit.append(entry)
    return entry


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantAuditPage:
    items: list[TenantAuditEntry]
    next_cursor: int | None  # the last entry's sequence number, when more follow


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantAuditVerdict:
    chain_valid: bool
    entries: int  # how many entries were checked (all of them when the chain is valid)
    last_hash: str | None  # the last entry's hash when the chain is valid: what an auditor writes down


class TenantAuditQueries:
    """Read-only use cases over the tenant audit log: they never commit."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def page(self, caller: Caller, *, limit: int, after: int | None = None) -> TenantAuditPage:
        """A page of the caller's tenant's entries, oldest first (chain order), after sequence `after`."""
        caller.require(Permission.READ_TENANT_AUDIT)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if after is not None and after < 0:
            raise InvalidInput("the cursor is not one this API returned")
        async with self._uow() as uow:
            items = await uow.tenant_audit.entries(caller.tenant_id, limit=limit + 1, after=after)
        more = len(items) > limit
        items = items[:limit]
        return TenantAuditPage(items=items, next_cursor=items[-1].seq if more else None)

    async def verify(self, caller: Caller) -> TenantAuditVerdict:
        """Whether the caller's tenant's whole chain is unbroken."""
        caller.require(Permission.READ_TENANT_AUDIT)
        return await self._verify(caller.tenant_id)

    async def verify_for_tenant(self, slug: str) -> TenantAuditVerdict:
        """For operators (the CLI): whether the chain of the tenant `slug` is unbroken."""
        async with self._uow() as uow:
            tenant = await uow.tenants.by_slug(slug)
        if tenant is None:
            raise NotFound(f"no tenant {slug!r}")
        return await self._verify(tenant.id)

    async def _verify(self, tenant_id: str) -> TenantAuditVerdict:
        checked, previous = 0, None
        async with self._uow() as uow:  # one transaction: a chain growing meanwhile is read as it was
            while batch := await uow.tenant_audit.entries(
                tenant_id, limit=VERIFY_BATCH, after=previous.seq if previous else None
            ):
                if not verify_tenant_chain(batch, after=previous):
                    return TenantAuditVerdict(chain_valid=False, entries=checked + len(batch), last_hash=None)
                checked, previous = checked + len(batch), batch[-1]
        return TenantAuditVerdict(chain_valid=True, entries=checked, last_hash=previous.hash if previous else None)
