"""Envelopes, documents, audit trails, signing links and policies, kept in the fake database."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime

from tests.fakes.database import FakeDatabase, KeyedFake, Writes
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.domain.audit import AuditEntry
from undersign.domain.document import Document, DocumentStatus
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.policy import Policy
from undersign.domain.signing_link import LinkChannel, SigningLink


class FakeEnvelopes:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes
        self.seen: list[Envelope] = []
        self._added: set[str] = set()

    async def add(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        self._added.add(envelope.id)
        stored = _stored(envelope)

        def check() -> None:
            if envelope.id in self._db.envelopes:
                raise ConcurrencyConflict("envelope already exists")

        self._writes.stage(check, lambda: self._db.envelopes.__setitem__(envelope.id, stored))

    async def get(self, tenant_id: str, envelope_id: str) -> Envelope | None:
        found = self._db.envelopes.get(envelope_id)
        return copy.deepcopy(found) if found and found.tenant_id == tenant_id else None

    async def hold(self, tenant_id: str, envelope_id: str) -> None:
        """Nothing to do: the fake lives in one process, where SignHandler's own lock serialises."""

    async def save(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        expected = envelope.version
        envelope.version += 1
        stored = _stored(envelope)

        def check() -> None:
            current = self._db.envelopes.get(envelope.id)
            if current is None and envelope.id in self._added:
                return
            if current is None or current.version != expected:
                raise ConcurrencyConflict(f"envelope {envelope.id} changed since it was read")

        self._writes.stage(check, lambda: self._db.envelopes.__setitem__(envelope.id, stored))

    async def list(
        self, tenant_id: str, *, where: EnvelopeFilter, limit: int, after: EnvelopeCursor | None
    ) -> list[Envelope]:
        rows = [
            e for e in self._db.envelopes.values()
            if e.tenant_id == tenant_id and (where.status is None or e.status is where.status)
            and (where.created_after is None or e.created_at >= where.created_after)
            and (where.created_before is None or e.created_at < where.created_before)
            and (where.signer_email is None or any(s.email == where.signer_email for s in e.signers))
            and (where.scope is None or where.scope.includes(e))
        ]
        rows.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        if after is not None:
            rows = [e for e in rows if (e.created_at, e.id) < (after.created_at, after.id)]
        return copy.deepcopy(rows[:limit])

    async def tenant_of(self, envelope_id: str) -> str | None:
        found = self._db.envelopes.get(envelope_id)
        return found.tenant_id if found else None

    async def waiting(self, *, after: str | None, limit: int) -> list[Envelope]:
        rows = sorted(
            (e for e in self._db.envelopes.values() if e.status is EnvelopeStatus.SENT and (after is None or e.id > after)),
            key=lambda e: e.id,
        )
        return copy.deepcopy(rows[:limit])

    async def due_for_purge(self, *, now: datetime, after: tuple[datetime, str] | None, limit: int) -> list[Envelope]:
        rows = sorted(
            (
                e for e in self._db.envelopes.values()
                if e.purged_at is None and e.legal_hold is None and e.purge_after is not None and e.purge_after <= now
                and (after is None or (e.purge_after, e.id) > after)
            ),
            key=lambda e: (e.purge_after, e.id),
        )
        return copy.deepcopy(rows[:limit])


class FakeDocuments:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes
        self._read_revisions: dict[str, int] = {}

    async def add(self, document: Document) -> None:
        stored = copy.deepcopy(document)
        self._writes.stage(lambda: None, lambda: self._db.documents.__setitem__(document.id, stored))

    async def get(self, tenant_id: str, document_id: str) -> Document | None:
        found = self._db.documents.get(document_id)
        if not found or found.tenant_id != tenant_id:
            return None
        self._read_revisions[document_id] = len(found.revisions)
        return copy.deepcopy(found)

    async def save(self, document: Document) -> None:
        expected = self._read_revisions.get(document.id)
        stored = copy.deepcopy(document)

        def check() -> None:
            current = self._db.documents.get(document.id)
            if current is not None and expected is not None and len(current.revisions) != expected:
                raise ConcurrencyConflict(f"document {document.id} got a revision since it was read")

        self._writes.stage(check, lambda: self._db.documents.__setitem__(document.id, stored))

    async def for_envelope(self, tenant_id: str, envelope_id: str) -> list[Document]:
        found = [
            d for d in self._db.documents.values() if d.tenant_id == tenant_id and d.envelope_id == envelope_id
        ]
        return [await self.get(tenant_id, d.id) for d in found]  # type: ignore[misc]

    async def sealed(self, *, after: str | None, limit: int) -> list[Document]:
        found = sorted(
            (d for d in self._db.documents.values() if d.status is DocumentStatus.SEALED and (after is None or d.id > after)),
            key=lambda d: d.id,
        )
        return [copy.deepcopy(d) for d in found[:limit]]


class FakeAuditLog:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes
        self._pending: dict[str, list[AuditEntry]] = {}

    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None:
        entries = self._db.audit.get(envelope_id, []) + self._pending.get(envelope_id, [])
        return entries[-1] if entries else None

    async def append(self, tenant_id: str, entry: AuditEntry) -> None:
        self._pending.setdefault(entry.envelope_id, []).append(entry)

        def check() -> None:
            if any(e.seq == entry.seq for e in self._db.audit.get(entry.envelope_id, [])):
                raise ConcurrencyConflict("audit entry already written")

        self._writes.stage(check, lambda: self._db.audit.setdefault(entry.envelope_id, []).append(entry))

    async def entries(self, tenant_id: str, envelope_id: str) -> list[AuditEntry]:
        envelope = self._db.envelopes.get(envelope_id)
        if envelope is None or envelope.tenant_id != tenant_id:
            return []
        return list(self._db.audit.get(envelope_id, []))


class FakeSigningLinks(KeyedFake):
    async def add(self, link: SigningLink) -> None:
        self._stage(link.token_hash, link)

    async def by_token_hash(self, token_hash: str) -> SigningLink | None:
        return self._table.get(token_hash)

    async def revoke(
        self, tenant_id: str, envelope_id: str, signer_id: str, *, channels: frozenset[LinkChannel], at: datetime
    ) -> None:
        for link in list(self._table.values()):
            mine = (link.tenant_id, link.envelope_id, link.signer_id) == (tenant_id, envelope_id, signer_id)
            if mine and link.channel in channels and link.revoked_at is None:
                self._stage(link.token_hash, replace(link, revoked_at=at), unique=False)


class FakePolicies:
    """`db.policies` holds each tenant's default policy (its current version) by tenant id, where tests
    change it in place; `db.policy_versions` every version of every policy, by (id, version)."""

    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes

    async def add(self, policy: Policy, *, default: bool = True) -> None:
        self._stage_version(policy, default=lambda: default)

    async def add_version(self, policy: Policy) -> None:
        def was_default() -> bool:
            current = self._db.policies.get(policy.tenant_id)
            return current is not None and current.id == policy.id

        self._stage_version(policy, default=was_default)

    async def get(self, tenant_id: str, policy_id: str) -> Policy | None:
        versions = [p for (pid, _), p in self._db.policy_versions.items() if pid == policy_id and p.tenant_id == tenant_id]
        default = self._db.policies.get(tenant_id)
        if default is not None and default.id == policy_id:
            versions.append(default)  # last: a test's change to it wins over the stored copy of its version
        return max(versions, key=lambda p: p.version) if versions else None

    async def list(self, tenant_id: str, *, limit: int, after: str | None = None) -> list[Policy]:
        ids = {pid for (pid, _), p in self._db.policy_versions.items() if p.tenant_id == tenant_id}
        if tenant_id in self._db.policies:
            ids.add(self._db.policies[tenant_id].id)
        chosen = sorted(i for i in ids if after is None or i > after)[:limit]
        return [await self.get(tenant_id, i) for i in chosen]  # type: ignore[misc]

    async def set_default(self, tenant_id: str, policy_id: str) -> None:
        chosen = await self.get(tenant_id, policy_id)
        if chosen is not None:
            self._writes.stage(lambda: None, lambda: self._db.policies.__setitem__(tenant_id, chosen))

    async def default_for(self, tenant_id: str) -> Policy | None:
        return self._db.policies.get(tenant_id)

    def _stage_version(self, policy: Policy, *, default) -> None:
        key = (policy.id, policy.version)

        def check() -> None:
            if key in self._db.policy_versions:
                raise ConcurrencyConflict(f"policy {policy.id} version {policy.version} already exists")

        def apply() -> None:
            make_default = default()  # before the version is stored: was the older version the default?
            self._db.policy_versions[key] = policy
            if make_default:
                self._db.policies[policy.tenant_id] = policy

        self._writes.stage(check, apply)


def _stored(envelope: Envelope) -> Envelope:
    return replace(copy.deepcopy(envelope), events=[])
