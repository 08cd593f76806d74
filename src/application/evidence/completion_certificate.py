"""The certificate of completion: what it says about a completed envelope, gathered from the record.

Everything in it comes from what the platform stored (the envelope, its documents'
revisions, the audit chain), so the same envelope always gives the same certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.domain.audit import AuditEntry, verify_chain
from undersign.domain.document import Document, RevisionKind
from undersign.domain.envelope import Envelope
from undersign.domain.signer import Signer

# Enough of an entry's hash to find it in the audit trail; the chain's head is given in full.
HASH_PREFIX_LENGTH = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRecord:
    id: str
    filename: str
    pages: int
    original_sha256: str
    final_sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedRevision:
    """One document as a recipient found it and as their signature left it."""

    filename: str
    before_sha256: str
    after_sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientEvidence:
    name: str
    email: str
    role: str
    status: str
    routing_order: int
    acted_at: datetime | None
    auth_method: str | None
    ip: str | None
    user_agent: str | None
    certificate_serials: tuple[str, ...]
    revisions: tuple[SignedRevision, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditLine:
    seq: int
    type: str
    at: datetime
    actor: str
    hash_prefix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletionCertificate:
    envelope_id: str
    subject: str
    status: str
    routing: str
    signature_level: str | None
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    documents: tuple[DocumentRecord, ...]
    recipients: tuple[RecipientEvidence, ...]
    audit: tuple[AuditLine, ...]
    chain_head: str | None
    chain_valid: bool
    # The audit trail in full, as its export gives it: attached to the certificate (PDF/A-3).
    audit_entries: tuple[AuditEntry, ...] = ()


def completion_certificate(envelope: Envelope, documents: list[Document], entries: list[AuditEntry]) -> CompletionCertificate:
    by_id = {d.id: d for d in documents}
    ordered = [by_id[i] for i in envelope.document_ids if i in by_id]
    return CompletionCertificate(
        envelope_id=envelope.id,
        subject=envelope.subject,
        status=envelope.status.value,
        routing=envelope.routing.value,
        signature_level=envelope.policy.signature_level.value if envelope.policy else None,
        created_at=envelope.created_at,
        sent_at=envelope.sent_at,
        completed_at=envelope.completed_at,
        documents=tuple(
            DocumentRecord(
                id=d.id, filename=d.filename, pages=len(d.pages),
                original_sha256=d.original.sha256, final_sha256=d.current.sha256,
            )
            for d in ordered
        ),
        recipients=tuple(_evidence(signer, ordered) for signer in sorted(envelope.signers, key=lambda s: s.routing_order)),
        audit=tuple(
            AuditLine(seq=e.seq, type=e.type, at=e.at, actor=e.actor, hash_prefix=e.hash[:HASH_PREFIX_LENGTH])
            for e in entries
        ),
        chain_head=entries[-1].hash if entries else None,
        chain_valid=verify_chain(entries),
        audit_entries=tuple(entries),
    )


def _evidence(signer: Signer, documents: list[Document]) -> RecipientEvidence:
    evidence = signer.evidence
    return RecipientEvidence(
        name=signer.name,
        email=signer.email,
        role=signer.role.value,
        status=signer.status.value,
        routing_order=signer.routing_order,
        acted_at=signer.acted_at,
        auth_method=evidence.auth_method if evidence else None,
        ip=evidence.ip if evidence else None,
        user_agent=evidence.user_agent if evidence else None,
        certificate_serials=evidence.certificate_serials if evidence else (),
        revisions=tuple(r for d in documents if (r := _signed_revision(signer, d)) is not None),
    )


def _signed_revision(signer: Signer, document: Document) -> SignedRevision | None:
    """The revision the recipient's signature made of `document`, with the one it was made over."""
    for before, after in zip(document.revisions, document.revisions[1:], strict=False):
        if after.kind is RevisionKind.SIGNED and after.signer_id == signer.id:
            return SignedRevision(filename=document.filename, before_sha256=before.sha256, after_sha256=after.sha256)
    return None


class CompletionCertificateRenderer(Protocol):
    async def render(self, certificate: CompletionCertificate) -> bytes:
        """The certificate of completion as an unsigned PDF; the same certificate gives the same bytes."""
        ...
