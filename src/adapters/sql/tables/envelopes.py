"""Envelopes with their recipients (signers) and fields, and the signing links issued to recipients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from undersign.adapters.sql.tables.base import BLOB_KEY_LENGTH, MYSQL_TABLE_OPTIONS, Base, Id, JsonText, UtcDateTime
from undersign.adapters.sql.tables.policies import policy_from_json, policy_to_json
from undersign.domain.completion_certificate import StoredCertificate
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import Routing, SignerAuth
from undersign.domain.retention import LegalHold
from undersign.domain.signer import Role, Signer, SignerStatus, SigningEvidence
from undersign.domain.signer_authentication import SignerAuthState
from undersign.domain.signing_link import LinkChannel, SigningLink
from undersign.domain.text import MAX_EMAIL_LENGTH


class EnvelopeRow(Base):
    __tablename__ = "envelopes"
    __table_args__ = (
        # Keyset pagination: newest first within a tenant, with and without a status filter.
        Index("ix_envelopes_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_envelopes_tenant_status_created", "tenant_id", "status", "created_at", "id"),
        # Every tenant's sent envelopes by id, for reminders and expiry (EnvelopeRepository.waiting).
        Index("ix_envelopes_status_id", "status", "id"),
        # Every tenant's envelopes due for purge, by purge date (EnvelopeRepository.due_for_purge): the
        # purged ones (purged_at set) are outside the range the run reads.
        Index("ix_envelopes_purge", "purged_at", "purge_after", "id"),
        # `undersign storage check` pages through blobs by key and looks keys up (adapters/sql/recorded_blobs.py).
        Index("ix_envelopes_certificate_blob_key", "certificate_blob_key"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    routing: Mapped[str] = mapped_column(String(16))
    document_ids: Mapped[list[str]] = mapped_column(JsonText())
    policy: Mapped[dict[str, Any] | None] = mapped_column(JsonText())
    policy_id: Mapped[str | None] = mapped_column(Id())  # chosen for the draft; None: the tenant's default
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    voided_reason: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(100))
    team_id: Mapped[str | None] = mapped_column(Id())
    # The certificate of completion, once made (all four set, or none).
    certificate_blob_key: Mapped[str | None] = mapped_column(Id(BLOB_KEY_LENGTH))
    certificate_sha256: Mapped[str | None] = mapped_column(Id())
    certificate_size: Mapped[int | None] = mapped_column(BigInteger)
    certificate_made_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Retention (domain.retention): the purge date, set when it ends; the purge's two steps; the legal hold.
    purge_after: Mapped[datetime | None] = mapped_column(UtcDateTime())
    purge_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)  # set, with its since and by, while on hold
    legal_hold_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    legal_hold_by: Mapped[str | None] = mapped_column(String(100))

    signers: Mapped[list[SignerRow]] = relationship(
        order_by="SignerRow.position", lazy="raise", cascade="all, delete-orphan"
    )
    fields: Mapped[list[FieldRow]] = relationship(
        order_by="FieldRow.position", lazy="raise", cascade="all, delete-orphan"
    )

    @classmethod
    def from_domain(cls, envelope: Envelope) -> EnvelopeRow:
        """The envelope's row with its signers and fields rows."""
        return cls(
            **cls.scalar_values(envelope),
            signers=[SignerRow.from_domain(envelope, s, position) for position, s in enumerate(envelope.signers)],
            fields=[FieldRow.from_domain(envelope, f, position) for position, f in enumerate(envelope.fields)],
        )

    @staticmethod
    def scalar_values(envelope: Envelope) -> dict[str, Any]:
        return {
            "id": envelope.id,
            "tenant_id": envelope.tenant_id,
            "version": envelope.version,
            "status": envelope.status.value,
            "subject": envelope.subject,
            "message": envelope.message,
            "routing": envelope.routing.value,
            "document_ids": list(envelope.document_ids),
            "policy": policy_to_json(envelope.policy) if envelope.policy else None,
            "policy_id": envelope.policy_id,
            "created_at": envelope.created_at,
            "updated_at": envelope.updated_at,
            "sent_at": envelope.sent_at,
            "expires_at": envelope.expires_at,
            "completed_at": envelope.completed_at,
            "voided_reason": envelope.voided_reason,
            "owner": envelope.owner,
            "team_id": envelope.team_id,
            **_certificate_values(envelope.completion_certificate),
            "purge_after": envelope.purge_after,
            "purge_started_at": envelope.purge_started_at,
            "purged_at": envelope.purged_at,
            **_legal_hold_values(envelope.legal_hold),
        }

    def to_domain(self) -> Envelope:
        """Needs `signers` and `fields` loaded (they raise rather than load lazily)."""
        return Envelope(
            id=self.id,
            tenant_id=self.tenant_id,
            subject=self.subject,
            message=self.message,
            routing=Routing(self.routing),
            created_at=self.created_at,
            status=EnvelopeStatus(self.status),
            updated_at=self.updated_at,
            document_ids=list(self.document_ids),
            signers=[s.to_domain() for s in self.signers],
            fields=[f.to_domain() for f in self.fields],
            policy=policy_from_json(self.policy) if self.policy is not None else None,
            policy_id=self.policy_id,
            sent_at=self.sent_at,
            expires_at=self.expires_at,
            completed_at=self.completed_at,
            voided_reason=self.voided_reason,
            owner=self.owner,
            team_id=self.team_id,
            completion_certificate=self._certificate(),
            purge_after=self.purge_after,
            purge_started_at=self.purge_started_at,
            purged_at=self.purged_at,
            legal_hold=self._legal_hold(),
            version=self.version,
        )

    def _legal_hold(self) -> LegalHold | None:
        if self.legal_hold_reason is None:
            return None
        assert self.legal_hold_since is not None and self.legal_hold_by is not None
        return LegalHold(reason=self.legal_hold_reason, since=self.legal_hold_since, by=self.legal_hold_by)

    def _certificate(self) -> StoredCertificate | None:
        if self.certificate_blob_key is None:
            return None
        assert self.certificate_sha256 is not None and self.certificate_size is not None
        assert self.certificate_made_at is not None
        return StoredCertificate(
            blob_key=self.certificate_blob_key, sha256=self.certificate_sha256, size=self.certificate_size,
            made_at=self.certificate_made_at,
        )


def _certificate_values(certificate: StoredCertificate | None) -> dict[str, Any]:
    return {
        "certificate_blob_key": certificate.blob_key if certificate else None,
        "certificate_sha256": certificate.sha256 if certificate else None,
        "certificate_size": certificate.size if certificate else None,
        "certificate_made_at": certificate.made_at if certificate else None,
    }


def _legal_hold_values(hold: LegalHold | None) -> dict[str, Any]:
    return {
        "legal_hold_reason": hold.reason if hold else None,
        "legal_hold_since": hold.since if hold else None,
        "legal_hold_by": hold.by if hold else None,
    }


class SignerRow(Base):
    """A recipient; the evidence of their act is in the `evidence_*` columns once they acted."""

    __tablename__ = "signers"
    __table_args__ = (
        # Listing a tenant's envelopes by recipient: (tenant_id, email) finds the envelope ids
        # from the index alone. The email is a byte-wise `Id` (stored lower-cased) so that it
        # can be indexed on MySQL and compares the same on every server.
        Index("ix_signers_tenant_email_envelope", "tenant_id", "email", "envelope_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id())
    envelope_id: Mapped[str] = mapped_column(Id(), ForeignKey("envelopes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Id(MAX_EMAIL_LENGTH))
    role: Mapped[str] = mapped_column(String(16))
    routing_order: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    acted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    evidence_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    evidence_ip: Mapped[str | None] = mapped_column(Text)
    evidence_user_agent: Mapped[str | None] = mapped_column(Text)
    # "embedded: <how the sender's application authenticated them>" holds up to 210 characters.
    evidence_auth_method: Mapped[str | None] = mapped_column(String(255))
    evidence_signature_text: Mapped[str | None] = mapped_column(Text)
    evidence_consent_text: Mapped[str | None] = mapped_column(Text)
    evidence_certificate_serials: Mapped[list[str] | None] = mapped_column(JsonText())
    # The recipient's authentication (domain.signer_authentication): codes only as hashes.
    auth_method: Mapped[str | None] = mapped_column(String(16))
    auth_phone: Mapped[str | None] = mapped_column(String(16))
    auth_access_code_hash: Mapped[str | None] = mapped_column(Text)
    auth_code_hash: Mapped[str | None] = mapped_column(Text)
    auth_code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    auth_code_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    auth_failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    auth_codes_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    auth_locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, envelope: Envelope, signer: Signer, position: int) -> SignerRow:
        return cls(**cls.values(envelope, signer, position))

    @staticmethod
    def values(envelope: Envelope, signer: Signer, position: int) -> dict[str, Any]:
        """Every column's value (a plain dict: cheaper than a row object where only the values are wanted)."""
        evidence, auth = signer.evidence, signer.auth
        return {
            "id": signer.id,
            "tenant_id": envelope.tenant_id,
            "envelope_id": envelope.id,
            "position": position,
            "name": signer.name,
            "email": signer.email,
            "role": signer.role.value,
            "routing_order": signer.routing_order,
            "status": signer.status.value,
            "acted_at": signer.acted_at,
            "decline_reason": signer.decline_reason,
            "notified_at": signer.notified_at,
            "reminded_at": signer.reminded_at,
            "evidence_at": evidence.at if evidence else None,
            "evidence_ip": evidence.ip if evidence else None,
            "evidence_user_agent": evidence.user_agent if evidence else None,
            "evidence_auth_method": evidence.auth_method if evidence else None,
            "evidence_signature_text": evidence.signature_text if evidence else None,
            "evidence_consent_text": evidence.consent_text if evidence else None,
            "evidence_certificate_serials": list(evidence.certificate_serials) if evidence else None,
            "auth_method": auth.method.value if auth.method else None,
            "auth_phone": auth.phone,
            "auth_access_code_hash": auth.access_code_hash,
            "auth_code_hash": auth.code_hash,
            "auth_code_expires_at": auth.code_expires_at,
            "auth_code_sent_at": auth.code_sent_at,
            "auth_failed_attempts": auth.failed_attempts,
            "auth_codes_sent": auth.codes_sent,
            "auth_locked_at": auth.locked_at,
        }

    def to_domain(self) -> Signer:
        evidence = None
        if self.evidence_at is not None:
            evidence = SigningEvidence(
                at=self.evidence_at,
                ip=self.evidence_ip,
                user_agent=self.evidence_user_agent,
                auth_method=self.evidence_auth_method or "",
                signature_text=self.evidence_signature_text or "",
                consent_text=self.evidence_consent_text or "",
                certificate_serials=tuple(self.evidence_certificate_serials or ()),
            )
        return Signer(
            id=self.id,
            name=self.name,
            email=self.email,
            role=Role(self.role),
            routing_order=self.routing_order,
            status=SignerStatus(self.status),
            acted_at=self.acted_at,
            decline_reason=self.decline_reason,
            evidence=evidence,
            notified_at=self.notified_at,
            reminded_at=self.reminded_at,
            auth=SignerAuthState(
                method=SignerAuth(self.auth_method) if self.auth_method else None,
                phone=self.auth_phone,
                access_code_hash=self.auth_access_code_hash,
                code_hash=self.auth_code_hash,
                code_expires_at=self.auth_code_expires_at,
                code_sent_at=self.auth_code_sent_at,
                failed_attempts=self.auth_failed_attempts or 0,
                codes_sent=self.auth_codes_sent or 0,
                locked_at=self.auth_locked_at,
            ),
        )


class FieldRow(Base):
    __tablename__ = "fields"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id())
    envelope_id: Mapped[str] = mapped_column(Id(), ForeignKey("envelopes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[str] = mapped_column(Id())
    signer_id: Mapped[str] = mapped_column(Id())
    kind: Mapped[str] = mapped_column(String(16))
    page: Mapped[int] = mapped_column(Integer)
    x: Mapped[float] = mapped_column(Double)
    y: Mapped[float] = mapped_column(Double)
    width: Mapped[float] = mapped_column(Double)
    height: Mapped[float] = mapped_column(Double)
    required: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def from_domain(cls, envelope: Envelope, f: Field, position: int) -> FieldRow:
        return cls(**cls.values(envelope, f, position))

    @staticmethod
    def values(envelope: Envelope, f: Field, position: int) -> dict[str, Any]:
        """Every column's value (a plain dict: cheaper than a row object where only the values are wanted)."""
        return {
            "id": f.id,
            "tenant_id": envelope.tenant_id,
            "envelope_id": envelope.id,
            "position": position,
            "document_id": f.document_id,
            "signer_id": f.signer_id,
            "kind": f.kind.value,
            "page": f.placement.page,
            "x": f.placement.x,
            "y": f.placement.y,
            "width": f.placement.width,
            "height": f.placement.height,
            "required": f.required,
            "value": f.value,
        }

    def to_domain(self) -> Field:
        return Field(
            id=self.id,
            document_id=self.document_id,
            signer_id=self.signer_id,
            kind=FieldKind(self.kind),
            placement=Placement(page=self.page, x=self.x, y=self.y, width=self.width, height=self.height),
            required=self.required,
            value=self.value,
        )


# -- signing links ----------------------------------------------------------------------------------


class SigningLinkRow(Base):
    __tablename__ = "signing_links"
    # A recipient's links, to revoke them all when a new one is issued.
    __table_args__ = (Index("ix_signing_links_recipient", "envelope_id", "signer_id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id())
    envelope_id: Mapped[str] = mapped_column(Id(), ForeignKey("envelopes.id"), index=True)
    signer_id: Mapped[str] = mapped_column(Id())
    token_hash: Mapped[str] = mapped_column(Id(), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    channel: Mapped[str] = mapped_column(Id(16))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    embedded_by: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def from_domain(cls, link: SigningLink) -> SigningLinkRow:
        return cls(
            id=link.id, tenant_id=link.tenant_id, envelope_id=link.envelope_id, signer_id=link.signer_id,
            token_hash=link.token_hash, created_at=link.created_at, expires_at=link.expires_at,
            channel=link.channel.value, revoked_at=link.revoked_at, embedded_by=link.embedded_by,
        )

    def to_domain(self) -> SigningLink:
        return SigningLink(
            id=self.id, tenant_id=self.tenant_id, envelope_id=self.envelope_id, signer_id=self.signer_id,
            token_hash=self.token_hash, created_at=self.created_at, expires_at=self.expires_at,
            channel=LinkChannel(self.channel), revoked_at=self.revoked_at, embedded_by=self.embedded_by,
        )
