"""Queries over envelopes: one by id, a page of a list, a document's current PDF, the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, replace

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope, scope_of
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.application.shared.loading import require_document
from undersign.application.shared.moments import in_utc
from undersign.application.shared.stored_files import StoredFile, document_file
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.audit import AuditEntry, verify_chain
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.signer import normalize_email

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopePage:
    items: list[Envelope]
    next_cursor: EnvelopeCursor | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditTrail:
    entries: list[AuditEntry]
    chain_valid: bool


class EnvelopeQueries:
    """Read-only use cases: they never commit."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def get(self, caller: Caller, envelope_id: str) -> tuple[Envelope, list[Document]]:
        caller.require(Permission.READ_ENVELOPES)
        async with self._uow() as uow:
            envelope = await require_visible_envelope(uow, caller, envelope_id)
            return envelope, await uow.documents.for_envelope(caller.tenant_id, envelope_id)

    async def list(
        self, caller: Caller, *, where: EnvelopeFilter = EnvelopeFilter(), limit: int, after: EnvelopeCursor | None
    ) -> EnvelopePage:
        """A page of the caller's envelopes, newest first, as EnvelopeRepository.list says.

        The created_* bounds must carry a UTC offset; `signer_email` matches whatever its
        case, as recipients' emails are kept normalised.
        """
        caller.require(Permission.READ_ENVELOPES)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if where.created_after is not None:
            where = replace(where, created_after=in_utc(where.created_after, "created_after"))
        if where.created_before is not None:
            where = replace(where, created_before=in_utc(where.created_before, "created_before"))
        if after is not None:
            after = replace(after, created_at=in_utc(after.created_at, "the cursor"))
        if where.signer_email is not None:
            where = replace(where, signer_email=normalize_email(where.signer_email))
        where = replace(where, scope=scope_of(caller))
        async with self._uow() as uow:
            items = await uow.envelopes.list(caller.tenant_id, where=where, limit=limit + 1, after=after)
        more = len(items) > limit
        items = items[:limit]
        cursor = EnvelopeCursor(created_at=items[-1].created_at, id=items[-1].id) if more else None
        return EnvelopePage(items=items, next_cursor=cursor)

    async def document_content(self, caller: Caller, envelope_id: str, document_id: str) -> StoredFile:
        """The document as it stands: the sealed PDF once the envelope is completed; ContentPurged once purged."""
        caller.require(Permission.READ_ENVELOPES)
        async with self._uow() as uow:
            envelope = await require_visible_envelope(uow, caller, envelope_id)
            document = await require_document(uow, envelope, document_id)
            envelope.require_documents()  # ContentPurged once its retention purged them: only the hashes remain
            return document_file(uow.blobs, document)

    async def audit_trail(self, caller: Caller, envelope_id: str) -> AuditTrail:
        caller.require(Permission.READ_EVIDENCE)
        async with self._uow() as uow:
            await require_visible_envelope(uow, caller, envelope_id)
            entries = await uow.audit.entries(caller.tenant_id, envelope_id)
        return AuditTrail(entries=entries, chain_valid=verify_chain(entries))

    async def verify_audit_trail(self, envelope_id: str) -> AuditTrail:
        """For operators: check an envelope's chain whatever tenant it belongs to."""
        async with self._uow() as uow:
            tenant_id = await uow.envelopes.tenant_of(envelope_id)
            if tenant_id is None:
                raise NotFound(f"no envelope {envelope_id}")
            entries = await uow.audit.entries(tenant_id, envelope_id)
        return AuditTrail(entries=entries, chain_valid=verify_chain(entries))
