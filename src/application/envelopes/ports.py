"""Where envelopes, their documents, audit trails and signing links are kept (policies: application/policies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.application.access.visibility import EnvelopeScope

# Policies are a subject of their own; the unit of work still names their port from here.
from undersign.application.policies.ports import PolicyRepository  # noqa: F401
from undersign.domain.audit import AuditEntry
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.signing_link import LinkChannel, SigningLink


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeFilter:
    """Which of a tenant's envelopes a list shows: every filter given must hold.

    `status`; `created_after <= created_at < created_before`; `signer_email` equal to a
    recipient's stored email (see domain.signer.normalize_email), of any role; `scope`: a
    sender's part of the tenant (access.visibility), set by the use case, never by the client.
    """

    status: EnvelopeStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    signer_email: str | None = None
    scope: EnvelopeScope | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeCursor:
    """Where a page of envelopes ends: lists are ordered newest first, then by id."""

    created_at: datetime
    id: str


class EnvelopeRepository(Protocol):
    """Envelopes of one tenant at a time: every read names the tenant it is for.

    `seen` lists the envelopes added or saved in this unit of work, whose events it
    writes to the audit chain on commit.
    """

    seen: list[Envelope]

    async def add(self, envelope: Envelope) -> None: ...

    async def get(self, tenant_id: str, envelope_id: str) -> Envelope | None: ...

    async def hold(self, tenant_id: str, envelope_id: str) -> None:
        """Keep other units of work, in any process, from holding this envelope until this one ends.

        Called first in a unit of work, so that what it reads next is what the previous
        holder committed. A database without row locks (SQLite) may do nothing here: its
        one process serialises with a lock of its own (application.shared.envelope_turns).
        """
        ...

    async def save(self, envelope: Envelope) -> None:
        """Write a changed envelope; raise ConcurrencyConflict if it changed since it was read."""
        ...

    async def list(
        self, tenant_id: str, *, where: EnvelopeFilter, limit: int, after: EnvelopeCursor | None
    ) -> list[Envelope]:
        """Up to `limit` of the tenant's envelopes that `where` lets through, newest first (then by id), past `after`.

        The cursor is a position in that order, so it means the same whatever the filter.
        """
        ...

    async def tenant_of(self, envelope_id: str) -> str | None:
        """Which tenant owns an envelope: for operators, who work across tenants."""
        ...

    async def waiting(self, *, after: str | None, limit: int) -> list[Envelope]:
        """Up to `limit` sent envelopes of every tenant, by id, past `after`: for reminders and expiry."""
        ...

    async def due_for_purge(self, *, now: datetime, after: tuple[datetime, str] | None, limit: int) -> list[Envelope]:
        """Up to `limit` envelopes of every tenant whose purge is due at `now` (purge_after passed, not purged yet,
        not on legal hold; a purge begun and not finished included), ordered by (purge_after, id), past `after`
        (a (purge_after, id) of the previous page): for the retention run. Read along an index, not a scan."""
        ...


class DocumentRepository(Protocol):
    async def add(self, document: Document) -> None: ...

    async def get(self, tenant_id: str, document_id: str) -> Document | None: ...

    async def save(self, document: Document) -> None:
        """Write new revisions and status; raise ConcurrencyConflict if another writer added a revision first."""
        ...

    async def for_envelope(self, tenant_id: str, envelope_id: str) -> list[Document]: ...

    async def sealed(self, *, after: str | None, limit: int) -> list[Document]:
        """Up to `limit` sealed documents of every tenant, by id, past `after`: for operators' archive work."""
        ...


class AuditLog(Protocol):
    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None: ...

    async def append(self, tenant_id: str, entry: AuditEntry) -> None: ...

    async def entries(self, tenant_id: str, envelope_id: str) -> list[AuditEntry]:
        """An envelope's entries in chain order, exactly as stored."""
        ...


class SigningLinkRepository(Protocol):
    async def add(self, link: SigningLink) -> None: ...

    async def by_token_hash(self, token_hash: str) -> SigningLink | None: ...

    async def revoke(
        self, tenant_id: str, envelope_id: str, signer_id: str, *, channels: frozenset[LinkChannel], at: datetime
    ) -> None:
        """Mark the recipient's links of `channels` that are not revoked yet as revoked `at`."""
        ...
