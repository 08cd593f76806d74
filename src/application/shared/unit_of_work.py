"""The unit of work: one transaction over every repository, rolled back unless committed.

On commit it turns the events of every envelope it has seen into audit entries, chained
to the envelope's last entry, and the published ones (those with a webhook name: every
event that sends an email or starts a job is one) into outbox messages, from which
notifications, webhooks and the seal are dispatched, in the same transaction as the change
itself: an event is recorded and announced, or neither. Blobs
written during a unit of work that does not commit are deleted again, so a failed
request leaves nothing behind.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Self

from undersign.application.shared.outbox import Outbox, OutboxMessage
from undersign.application.shared.ports import BlobStore, StoredBlob
from undersign.domain.audit import chain

if TYPE_CHECKING:
    # Each subject keeps its repositories' ports; the unit of work only names them.
    from undersign.application.access.ports import (
        ApiKeyRepository,
        LocalCredentialsRepository,
        TeamRepository,
        TenantAuditLog,
        TenantRepository,
        UserRepository,
        WebSessionRepository,
    )
    from undersign.application.background.ports import DeadLetters
    from undersign.application.envelopes.ports import (
        AuditLog,
        DocumentRepository,
        EnvelopeRepository,
        PolicyRepository,
        SigningLinkRepository,
    )
    from undersign.application.signing.ports import CertificateRevocationRepository
    from undersign.application.webhooks.ports import WebhookDeliveries, WebhookEndpoints


class TrackedBlobs:
    """A blob store that remembers what it wrote, so a rollback can take it back."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self.written: list[str] = []

    async def put(self, key: str, data: bytes) -> StoredBlob:
        self.written.append(key)
        return await self._store.put(key, data)

    async def get(self, key: str, sha256: str) -> bytes:
        return await self._store.get(key, sha256)

    async def delete(self, key: str) -> None:
        await self._store.delete(key)

    def local_file(self, key: str, sha256: str) -> AbstractAsyncContextManager[str]:
        return self._store.local_file(key, sha256)

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        return self._store.keys(prefix)

    def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AbstractAsyncContextManager[str]:
        return self._store.scratch_file(content)

    async def put_file(self, key: str, path: str) -> StoredBlob:
        self.written.append(key)
        return await self._store.put_file(key, path)

    async def undo(self) -> None:
        while self.written:
            await self._store.delete(self.written.pop())


class UnitOfWork(abc.ABC):
    envelopes: EnvelopeRepository
    documents: DocumentRepository
    audit: AuditLog
    signing_links: SigningLinkRepository
    tenants: TenantRepository
    api_keys: ApiKeyRepository
    tenant_audit: TenantAuditLog
    users: UserRepository
    teams: TeamRepository
    web_sessions: WebSessionRepository
    local_credentials: LocalCredentialsRepository
    policies: PolicyRepository
    outbox: Outbox
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    dead_letters: DeadLetters
    certificate_revocations: CertificateRevocationRepository
    blobs: TrackedBlobs

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self._close()

    async def commit(self) -> None:
        published = False
        for envelope in self.envelopes.seen:
            previous = await self.audit.last(envelope.tenant_id, envelope.id)
            for event in envelope.events:
                previous = chain(previous, event)
                await self.audit.append(envelope.tenant_id, previous)
                if event.webhook is None:  # sets nothing off: every event with an email or a job is published
                    continue
                await self.outbox.add(
                    OutboxMessage(
                        id=f"{previous.envelope_id}:{previous.seq}", tenant_id=envelope.tenant_id,
                        envelope_id=previous.envelope_id, type=previous.type, at=previous.at,
                        actor=previous.actor, data=previous.data,
                    )
                )
                published = True
            envelope.events.clear()
        await self._commit()
        self.blobs.written.clear()
        if published:
            self._published()

    async def rollback(self) -> None:
        """Undo everything not committed; after a commit there is nothing left to undo."""
        try:
            await self._rollback()
        finally:
            await self.blobs.undo()

    async def _begin(self) -> None:
        """Open the transaction's resources."""

    async def _close(self) -> None:
        """Release the transaction's resources."""

    def _published(self) -> None:
        """After a commit that wrote outbox messages: whatever dispatches them may look now."""

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
