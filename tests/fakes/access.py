"""Tenants, API keys, the tenant audit log and idempotency keys, kept in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tests.fakes.database import KeyedFake, Writes
from undersign.application.access.ports import ApiKeyCursor, IdempotencyRecord
from undersign.domain.audit import TenantAuditEntry
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.tenant import ApiKey, Tenant


class FakeTenants(KeyedFake):
    async def add(self, tenant: Tenant) -> None:
        self._stage(tenant.slug, tenant)

    async def get(self, tenant_id: str) -> Tenant | None:
        return next((t for t in self._table.values() if t.id == tenant_id), None)

    async def by_slug(self, slug: str) -> Tenant | None:
        return self._table.get(slug)

    async def save(self, tenant: Tenant) -> None:
        self._stage(tenant.slug, tenant, unique=False)


class FakeApiKeys(KeyedFake):
    async def add(self, key: ApiKey) -> None:
        self._stage(key.id, key)

    async def get(self, key_id: str) -> ApiKey | None:
        return self._table.get(key_id)

    async def for_tenant(self, tenant_id: str, *, limit: int, after: ApiKeyCursor | None = None) -> list[ApiKey]:
        keys = sorted(
            (k for k in self._table.values() if k.tenant_id == tenant_id), key=lambda k: (k.created_at, k.id),
            reverse=True,
        )
        if after is not None:
            keys = [k for k in keys if (k.created_at, k.id) < (after.created_at, after.id)]
        return keys[:limit]

    async def record_revocation(self, key: ApiKey) -> bool:
        def apply() -> None:
            stored = self._table[key.id]
            if stored.revoked_at is None:
                self._table[key.id] = replace(stored, revoked_at=key.revoked_at)

        self._writes.stage(lambda: None, apply)
        return self._table[key.id].revoked_at is None

    async def touch(self, key_id: str, at: datetime) -> None:
        def apply() -> None:
            stored = self._table.get(key_id)
            if stored is not None and (stored.last_used_at is None or stored.last_used_at < at):
                self._table[key_id] = replace(stored, last_used_at=at)

        self._writes.stage(lambda: None, apply)


class FakeTenantAuditLog:
    """Each tenant's chain in the fake database; appends are staged, and a sequence number taken
    meanwhile is a conflict at commit, as the primary key (tenant_id, seq) makes it in SQL."""

    def __init__(self, table: dict[str, list[TenantAuditEntry]], writes: Writes) -> None:
        self._table, self._writes = table, writes
        self._pending: dict[str, list[TenantAuditEntry]] = {}

    async def last(self, tenant_id: str) -> TenantAuditEntry | None:
        entries = self._table.get(tenant_id, []) + self._pending.get(tenant_id, [])
        return entries[-1] if entries else None

    async def append(self, entry: TenantAuditEntry) -> None:
        self._pending.setdefault(entry.tenant_id, []).append(entry)

        def check() -> None:
            if any(e.seq == entry.seq for e in self._table.get(entry.tenant_id, [])):
                raise ConcurrencyConflict("tenant audit entry already written")

        self._writes.stage(check, lambda: self._table.setdefault(entry.tenant_id, []).append(entry))

    async def entries(self, tenant_id: str, *, limit: int, after: int | None = None) -> list[TenantAuditEntry]:
        entries = sorted(self._table.get(tenant_id, []), key=lambda e: e.seq)
        return [e for e in entries if after is None or e.seq > after][:limit]


class FakeIdempotencyKeys:
    """Each call takes effect at once, as each is a transaction of its own in SQL."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], IdempotencyRecord] = {}

    async def add(self, record: IdempotencyRecord) -> bool:
        return self.records.setdefault(_scoped(record), record) is record

    async def get(self, tenant_id: str, credential_id: str, key: str) -> IdempotencyRecord | None:
        return self.records.get((tenant_id, credential_id, key))

    async def replace(self, record: IdempotencyRecord, *, held_by: str) -> bool:
        current = self.records.get(_scoped(record))
        if current is None or current.claim != held_by:
            return False
        self.records[_scoped(record)] = record
        return True

    async def delete(self, tenant_id: str, credential_id: str, key: str, *, held_by: str) -> None:
        current = self.records.get((tenant_id, credential_id, key))
        if current is not None and current.claim == held_by:
            del self.records[(tenant_id, credential_id, key)]

    async def purge(self, tenant_id: str, *, expired_at: datetime) -> int:
        expired = [k for k, r in self.records.items() if k[0] == tenant_id and r.expires_at <= expired_at]
        for k in expired:
            del self.records[k]
        return len(expired)


def _scoped(record: IdempotencyRecord) -> tuple[str, str, str]:
    return (record.tenant_id, record.credential_id, record.key)
