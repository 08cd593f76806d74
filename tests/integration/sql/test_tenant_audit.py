"""The tenant audit log on every backend: entries come back exactly as chained and hashed, a page at a
time and by tenant, and two acts appended after the same entry cannot both be stored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.sql.helpers import ACME, BACKENDS, GLOBEX, T0, Backend
from undersign.domain.audit import TenantAuditEntry, chain_tenant, verify_tenant_chain
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.tenant import AccessRole, ApiKey
from undersign.domain.tenant_events import ApiKeyCreated, ApiKeyRevoked, TenantEvent


def created(n: int, tenant_id: str = ACME) -> ApiKeyCreated:
    return ApiKeyCreated(
        tenant_id=tenant_id, at=T0 + timedelta(seconds=n, microseconds=n), actor="cli:Zoë", key_id=f"key-{n}",
        role="viewer", expires_at=(T0 + timedelta(days=30)).isoformat() if n % 2 else None,
        description=f"Billing – Müller 山田 #{n}",
    )


async def appended(backend: Backend, *events: TenantEvent) -> list[TenantAuditEntry]:
    chained = []
    async with backend.uow() as uow:
        for event in events:
            entry = chain_tenant(await uow.tenant_audit.last(event.tenant_id), event)
            await uow.tenant_audit.append(entry)
            chained.append(entry)
        await uow.commit()
    return chained


async def test_the_tenant_chain_round_trips_and_verifies(backend: Backend, tenants: None) -> None:
    expected = await appended(backend, created(1), created(2))
    expected += await appended(backend, ApiKeyRevoked(tenant_id=ACME, at=T0 + timedelta(hours=1), actor="api_key:k",
                                                      key_id="key-1"))
    async with backend.uow() as uow:
        entries = await uow.tenant_audit.entries(ACME, limit=100)
        assert entries == expected
        assert await uow.tenant_audit.last(ACME) == expected[-1]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert verify_tenant_chain(entries)


async def test_pages_follow_the_chain_and_tenants_never_see_each_other(backend: Backend, tenants: None) -> None:
    acme = await appended(backend, *(created(n) for n in range(5)))
    globex = await appended(backend, created(9, GLOBEX))
    async with backend.uow() as uow:
        assert await uow.tenant_audit.entries(ACME, limit=2) == acme[:2]
        assert await uow.tenant_audit.entries(ACME, limit=2, after=2) == acme[2:4]
        assert await uow.tenant_audit.entries(ACME, limit=2, after=4) == acme[4:]
        assert await uow.tenant_audit.entries(ACME, limit=2, after=5) == []
        assert await uow.tenant_audit.entries(GLOBEX, limit=100) == globex
        assert (await uow.tenant_audit.last(GLOBEX)).seq == 1
        assert await uow.tenant_audit.last("tenant-nobody") is None


async def test_two_acts_appended_after_the_same_entry_cannot_both_be_stored(backend: Backend, tenants: None) -> None:
    await appended(backend, created(1))
    async with backend.uow() as first, backend.uow() as second:
        one = chain_tenant(await first.tenant_audit.last(ACME), created(2))
        other = chain_tenant(await second.tenant_audit.last(ACME), created(3))
        assert one.seq == other.seq == 2
        await first.tenant_audit.append(one)
        await first.commit()
        with pytest.raises(ConcurrencyConflict):
            await second.tenant_audit.append(other)
            await second.commit()
    async with backend.uow() as uow:
        entries = await uow.tenant_audit.entries(ACME, limit=100)
    assert [e.data["key_id"] for e in entries] == ["key-1", "key-2"] and verify_tenant_chain(entries)


# The fakes keep what they are given: databases only.
@pytest.mark.parametrize("backend", [name for name in BACKENDS if name != "fake"], indirect=True)
async def test_entries_are_stored_in_utc_only(backend: Backend, tenants: None) -> None:
    from datetime import timezone

    entry = chain_tenant(None, created(1))
    async with backend.uow() as uow:
        with pytest.raises(ValueError, match="UTC"):
            await uow.tenant_audit.append(
                TenantAuditEntry(**{**_fields(entry), "at": entry.at.astimezone(timezone(timedelta(hours=2)))})
            )


async def test_a_revocation_says_whether_it_was_the_one_stored(backend: Backend, tenants: None) -> None:
    key = ApiKey(id="key-1", tenant_id=ACME, role=AccessRole.SENDER, secret_hash="9" * 64, created_at=T0)
    async with backend.uow() as uow:
        await uow.api_keys.add(key)
        await uow.commit()
    for at, stored in ((T0 + timedelta(hours=1), True), (T0 + timedelta(hours=2), False)):
        async with backend.uow() as uow:
            assert await uow.api_keys.record_revocation(key.revoked(at)) is stored
            await uow.commit()


def _fields(entry: TenantAuditEntry) -> dict:
    return {name: getattr(entry, name) for name in entry.__dataclass_fields__}
