"""Row classes: how each aggregate is laid out in tables, and the mapping to and from the domain.

The schema itself is made only by the Alembic migrations in `migrations/versions`; these
classes describe it for queries, and a test checks that the two agree.

Portability rules (SQLite, PostgreSQL, MySQL/MariaDB):
- identifiers, hashes and enum values are bounded strings compared byte-wise (`Id`), so
  keyset order and uniqueness are the same everywhere (MySQL's default collation is
  case-insensitive and would make "aB" equal to "Ab");
- text the domain does not bound is `Text`;
- timestamps go in as UTC and come back timezone-aware (`UtcDateTime`);
- JSON is stored as text we serialise ourselves (`JsonText`), so what comes back is exactly
  what went in whatever the server does to JSON values (the audit chain hashes it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    inspect,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from undersign.application.access.idempotency import MAX_KEY_LENGTH
from undersign.application.access.ports import IdempotencyRecord, StoredResponse
from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job
from undersign.application.shared.outbox import OutboxMessage
from undersign.domain.audit import AuditEntry
from undersign.domain.document import Document, DocumentStatus, Revision, RevisionKind
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.field import Field, FieldKind, PageSize, Placement
from undersign.domain.policy import Policy, Routing, SignatureLevel, SignerAuth
from undersign.domain.signer import Role, Signer, SignerStatus, SigningEvidence
from undersign.domain.signing_link import LinkChannel, SigningLink
from undersign.domain.tenant import MAX_SENDER_NAME_LENGTH, ApiKey, ApiKeyRole, Tenant
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.domain.webhook import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint

ID_LENGTH = 64

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def Id(length: int = ID_LENGTH) -> TypeEngine[str]:  # noqa: N802 - reads as a type in column definitions
    """A string compared byte by byte (code point order, like Python's), on every server."""
    return (
        String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC, microseconds included.

    PostgreSQL keeps the zone (timestamptz); SQLite and MySQL store naive UTC, and the
    zone is put back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return mysql.DATETIME(fsp=6)
        return DateTime(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonText(TypeDecorator[Any]):
    """JSON kept as the exact text we wrote (LONGTEXT on MySQL, whose TEXT stops at 64 KB)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # Not through dialect.type_descriptor(): PostgreSQL's drivers adapt Text to their
        # String type, which then compiles (and compares, in autogenerate) as VARCHAR.
        if dialect.name in ("mysql", "mariadb"):
            return mysql.LONGTEXT()
        return Text()

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def Blob() -> TypeEngine[bytes]:  # noqa: N802 - reads as a type in column definitions
    """Bytes of any size (LONGBLOB on MySQL, whose BLOB stops at 64 KB)."""
    return LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


# MySQL/MariaDB: transactional tables in full Unicode, whatever the server's defaults.
MYSQL_TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __table_args__: Any = MYSQL_TABLE_OPTIONS


def column_values(row: Base) -> dict[str, Any]:
    """A row's column attributes as a dict, for bulk INSERT and UPDATE statements."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


# -- tenants and their keys ---------------------------------------------------------------


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    slug: Mapped[str] = mapped_column(Id(63), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sender_name: Mapped[str | None] = mapped_column(String(MAX_SENDER_NAME_LENGTH))

    @classmethod
    def from_domain(cls, tenant: Tenant) -> TenantRow:
        return cls(id=tenant.id, slug=tenant.slug, created_at=tenant.created_at, sender_name=tenant.sender_name)

    def to_domain(self) -> Tenant:
        return Tenant(id=self.id, slug=self.slug, created_at=self.created_at, sender_name=self.sender_name)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(Id(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, key: ApiKey) -> ApiKeyRow:
        return cls(
            id=key.id, tenant_id=key.tenant_id, role=key.role.value, secret_hash=key.secret_hash,
            created_at=key.created_at, revoked_at=key.revoked_at,
        )

    def to_domain(self) -> ApiKey:
        return ApiKey(
            id=self.id, tenant_id=self.tenant_id, role=ApiKeyRole(self.role), secret_hash=self.secret_hash,
            created_at=self.created_at, revoked_at=self.revoked_at,
        )


# -- policies -----------------------------------------------------------------------------


def policy_to_json(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "tenant_id": policy.tenant_id,
        "name": policy.name,
        "version": policy.version,
        "signature_level": policy.signature_level.value,
        "signer_auth": policy.signer_auth.value,
        "routing_default": policy.routing_default.value,
        "expiry_days": policy.expiry_days,
        "reminder_days": policy.reminder_days,
        "retention_days": policy.retention_days,
        "decline_allowed": policy.decline_allowed,
        "consent_text": policy.consent_text,
    }


def policy_from_json(data: dict[str, Any]) -> Policy:
    return Policy(
        id=data["id"],
        tenant_id=data["tenant_id"],
        name=data["name"],
        version=data["version"],
        signature_level=SignatureLevel(data["signature_level"]),
        signer_auth=SignerAuth(data["signer_auth"]),
        routing_default=Routing(data["routing_default"]),
        expiry_days=data["expiry_days"],
        reminder_days=data["reminder_days"],
        retention_days=data["retention_days"],
        decline_allowed=data["decline_allowed"],
        consent_text=data["consent_text"],
    )


class PolicyRow(Base):
    """A version of a tenant's policy. `default_tenant_id` is set on the tenant's default only.

    A unique nullable column rather than a partial index, which MySQL does not have: every
    server lets any number of rows hold NULL in it.
    """

    __tablename__ = "policies"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), index=True)
    default_tenant_id: Mapped[str | None] = mapped_column(Id(), unique=True)
    name: Mapped[str] = mapped_column(Text)
    signature_level: Mapped[str] = mapped_column(String(16))
    signer_auth: Mapped[str] = mapped_column(String(16))
    routing_default: Mapped[str] = mapped_column(String(16))
    expiry_days: Mapped[int] = mapped_column(Integer)
    reminder_days: Mapped[int] = mapped_column(Integer)
    retention_days: Mapped[int] = mapped_column(Integer)
    decline_allowed: Mapped[bool] = mapped_column(Boolean)
    consent_text: Mapped[str] = mapped_column(Text)

    @classmethod
    def from_domain(cls, policy: Policy, *, default: bool) -> PolicyRow:
        return cls(**policy_to_json(policy), default_tenant_id=policy.tenant_id if default else None)

    def to_domain(self) -> Policy:
        return policy_from_json({key: getattr(self, key) for key in Policy.__dataclass_fields__})


# -- envelopes ------------------------------------------------------------------------------


class EnvelopeRow(Base):
    __tablename__ = "envelopes"
    __table_args__ = (
        # Keyset pagination: newest first within a tenant, with and without a status filter.
        Index("ix_envelopes_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_envelopes_tenant_status_created", "tenant_id", "status", "created_at", "id"),
        # Every tenant's sent envelopes by id, for reminders and expiry (EnvelopeRepository.waiting).
        Index("ix_envelopes_status_id", "status", "id"),
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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    voided_reason: Mapped[str | None] = mapped_column(Text)

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
            "created_at": envelope.created_at,
            "updated_at": envelope.updated_at,
            "sent_at": envelope.sent_at,
            "expires_at": envelope.expires_at,
            "completed_at": envelope.completed_at,
            "voided_reason": envelope.voided_reason,
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
            sent_at=self.sent_at,
            expires_at=self.expires_at,
            completed_at=self.completed_at,
            voided_reason=self.voided_reason,
            version=self.version,
        )


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
    evidence_auth_method: Mapped[str | None] = mapped_column(String(64))
    evidence_signature_text: Mapped[str | None] = mapped_column(Text)
    evidence_consent_text: Mapped[str | None] = mapped_column(Text)
    evidence_certificate_serials: Mapped[list[str] | None] = mapped_column(JsonText())

    @classmethod
    def from_domain(cls, envelope: Envelope, signer: Signer, position: int) -> SignerRow:
        evidence = signer.evidence
        return cls(
            id=signer.id,
            tenant_id=envelope.tenant_id,
            envelope_id=envelope.id,
            position=position,
            name=signer.name,
            email=signer.email,
            role=signer.role.value,
            routing_order=signer.routing_order,
            status=signer.status.value,
            acted_at=signer.acted_at,
            decline_reason=signer.decline_reason,
            notified_at=signer.notified_at,
            reminded_at=signer.reminded_at,
            evidence_at=evidence.at if evidence else None,
            evidence_ip=evidence.ip if evidence else None,
            evidence_user_agent=evidence.user_agent if evidence else None,
            evidence_auth_method=evidence.auth_method if evidence else None,
            evidence_signature_text=evidence.signature_text if evidence else None,
            evidence_consent_text=evidence.consent_text if evidence else None,
            evidence_certificate_serials=list(evidence.certificate_serials) if evidence else None,
        )

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
        return cls(
            id=f.id,
            tenant_id=envelope.tenant_id,
            envelope_id=envelope.id,
            position=position,
            document_id=f.document_id,
            signer_id=f.signer_id,
            kind=f.kind.value,
            page=f.placement.page,
            x=f.placement.x,
            y=f.placement.y,
            width=f.placement.width,
            height=f.placement.height,
            required=f.required,
            value=f.value,
        )

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


# -- documents ------------------------------------------------------------------------------


class DocumentRow(Base):
    """A document; `created_at` is its upload time (its original's), which orders an envelope's documents."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_tenant_envelope", "tenant_id", "envelope_id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id())
    envelope_id: Mapped[str] = mapped_column(Id(), ForeignKey("envelopes.id"))
    filename: Mapped[str] = mapped_column(String(255))
    pages: Mapped[list[dict[str, float]]] = mapped_column(JsonText())
    status: Mapped[str] = mapped_column(String(16))
    legal_hold: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    revisions: Mapped[list[RevisionRow]] = relationship(
        order_by="RevisionRow.number", lazy="raise", cascade="all, delete-orphan"
    )

    @classmethod
    def from_domain(cls, document: Document) -> DocumentRow:
        return cls(
            id=document.id,
            tenant_id=document.tenant_id,
            envelope_id=document.envelope_id,
            filename=document.filename,
            pages=[{"width": p.width, "height": p.height} for p in document.pages],
            status=document.status.value,
            legal_hold=document.legal_hold,
            created_at=document.original.created_at,
            revisions=[RevisionRow.from_domain(document, r) for r in document.revisions],
        )

    def to_domain(self) -> Document:
        """Needs `revisions` loaded."""
        return Document(
            id=self.id,
            tenant_id=self.tenant_id,
            envelope_id=self.envelope_id,
            filename=self.filename,
            pages=[PageSize(width=p["width"], height=p["height"]) for p in self.pages],
            revisions=[r.to_domain() for r in self.revisions],
            status=DocumentStatus(self.status),
            legal_hold=self.legal_hold,
        )


class RevisionRow(Base):
    """A document revision. Its primary key (document_id, number) lets only one writer add each number."""

    __tablename__ = "document_revisions"

    document_id: Mapped[str] = mapped_column(Id(), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(Id())
    kind: Mapped[str] = mapped_column(String(16))
    blob_key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(Id())
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    signer_id: Mapped[str | None] = mapped_column(Id())

    @classmethod
    def from_domain(cls, document: Document, revision: Revision) -> RevisionRow:
        return cls(
            document_id=document.id,
            number=revision.number,
            tenant_id=document.tenant_id,
            kind=revision.kind.value,
            blob_key=revision.blob_key,
            sha256=revision.sha256,
            size=revision.size,
            created_at=revision.created_at,
            signer_id=revision.signer_id,
        )

    def to_domain(self) -> Revision:
        return Revision(
            number=self.number,
            kind=RevisionKind(self.kind),
            blob_key=self.blob_key,
            sha256=self.sha256,
            size=self.size,
            created_at=self.created_at,
            signer_id=self.signer_id,
        )


# -- the audit chain and signing links --------------------------------------------------------


class AuditEventRow(Base):
    """An audit entry exactly as chained: its primary key (envelope_id, seq) keeps the chain linear."""

    __tablename__ = "audit_events"

    envelope_id: Mapped[str] = mapped_column(Id(), ForeignKey("envelopes.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(Id())
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JsonText())
    prev_hash: Mapped[str] = mapped_column(Id())
    hash: Mapped[str] = mapped_column(Id())

    @classmethod
    def from_domain(cls, tenant_id: str, entry: AuditEntry) -> AuditEventRow:
        return cls(
            envelope_id=entry.envelope_id,
            seq=entry.seq,
            tenant_id=tenant_id,
            type=entry.type,
            at=entry.at,
            actor=entry.actor,
            data=entry.data,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )

    def to_domain(self) -> AuditEntry:
        return AuditEntry(
            envelope_id=self.envelope_id,
            seq=self.seq,
            type=self.type,
            at=self.at,
            actor=self.actor,
            data=self.data,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


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

    @classmethod
    def from_domain(cls, link: SigningLink) -> SigningLinkRow:
        return cls(
            id=link.id, tenant_id=link.tenant_id, envelope_id=link.envelope_id, signer_id=link.signer_id,
            token_hash=link.token_hash, created_at=link.created_at, expires_at=link.expires_at,
            channel=link.channel.value, revoked_at=link.revoked_at,
        )

    def to_domain(self) -> SigningLink:
        return SigningLink(
            id=self.id, tenant_id=self.tenant_id, envelope_id=self.envelope_id, signer_id=self.signer_id,
            token_hash=self.token_hash, created_at=self.created_at, expires_at=self.expires_at,
            channel=LinkChannel(self.channel), revoked_at=self.revoked_at,
        )


# -- idempotency keys ---------------------------------------------------------------------------


class IdempotencyKeyRow(Base):
    """An idempotency key of an API key of a tenant: the request that claimed it and, once done, its response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # The primary key (tenant_id, credential_id, idempotency_key) serves the lookups; this one the purge
        # of a tenant's expired keys.
        Index("ix_idempotency_keys_tenant_expires", "tenant_id", "expires_at"),
        MYSQL_TABLE_OPTIONS,
    )

    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(Id(), primary_key=True)  # the API key that claimed it
    idempotency_key: Mapped[str] = mapped_column(Id(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Id())
    claim: Mapped[str] = mapped_column(Id())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JsonText())
    response_body: Mapped[bytes | None] = mapped_column(Blob())

    @classmethod
    def from_domain(cls, record: IdempotencyRecord) -> IdempotencyKeyRow:
        response = record.response
        return cls(
            tenant_id=record.tenant_id,
            credential_id=record.credential_id,
            idempotency_key=record.key,
            fingerprint=record.fingerprint,
            claim=record.claim,
            created_at=record.created_at,
            expires_at=record.expires_at,
            response_status=response.status if response else None,
            response_headers=dict(response.headers) if response else None,
            response_body=response.body if response else None,
        )

    def to_domain(self) -> IdempotencyRecord:
        response = None
        if self.response_status is not None:
            response = StoredResponse(
                status=self.response_status, headers=dict(self.response_headers or {}), body=self.response_body or b""
            )
        return IdempotencyRecord(
            tenant_id=self.tenant_id,
            credential_id=self.credential_id,
            key=self.idempotency_key,
            fingerprint=self.fingerprint,
            claim=self.claim,
            created_at=self.created_at,
            expires_at=self.expires_at,
            response=response,
        )


# -- the outbox, background jobs and dead letters -------------------------------------------------


class OutboxMessageRow(Base):
    """A recorded event waiting for the dispatcher; kept, with the time it was dispatched, once it is.

    No foreign keys: the outbox is a queue beside the audit chain, not part of it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The pending messages, oldest first: the leading `dispatched_at IS NULL` is an
        # equality every server's index range understands (no partial index, which MySQL lacks).
        Index("ix_outbox_pending", "dispatched_at", "at", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(128), primary_key=True)  # "<envelope id>:<audit seq>"
    tenant_id: Mapped[str] = mapped_column(Id())
    envelope_id: Mapped[str] = mapped_column(Id())
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JsonText())
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, message: OutboxMessage) -> OutboxMessageRow:
        return cls(
            id=message.id, tenant_id=message.tenant_id, envelope_id=message.envelope_id, type=message.type,
            at=message.at, actor=message.actor, data=message.data, dispatched_at=None,
        )

    def to_domain(self) -> OutboxMessage:
        return OutboxMessage(
            id=self.id, tenant_id=self.tenant_id, envelope_id=self.envelope_id, type=self.type, at=self.at,
            actor=self.actor, data=self.data,
        )


JOB_ID_LENGTH = 255


class JobRow(Base):
    """A job of the database-backed queue (adapters.sql.job_store), from enqueueing until it is finished.

    `attempt` counts the claims so far; `leased_until` is set while a runner has it.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_run_at", "run_at", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(JOB_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, str]] = mapped_column(JsonText())
    run_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempt: Mapped[int] = mapped_column(Integer)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeadLetterRow(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_failed_at", "failed_at", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(JOB_ID_LENGTH), primary_key=True)
    job_id: Mapped[str] = mapped_column(Id(JOB_ID_LENGTH))
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, str]] = mapped_column(JsonText())
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, letter: DeadLetter) -> DeadLetterRow:
        return cls(
            id=letter.id, job_id=letter.job.id, name=letter.job.name, args=dict(letter.job.args),
            attempts=letter.attempts, error=letter.error, failed_at=letter.failed_at,
        )

    def to_domain(self) -> DeadLetter:
        return DeadLetter(
            id=self.id, job=Job(id=self.job_id, name=self.name, args=dict(self.args)), attempts=self.attempts,
            error=self.error, failed_at=self.failed_at,
        )


# -- webhooks ---------------------------------------------------------------------------------------


class WebhookEndpointRow(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        # A tenant's endpoints, oldest first (and the index MySQL wants for the foreign key).
        Index("ix_webhook_endpoints_tenant_created", "tenant_id", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JsonText())  # sorted
    secret: Mapped[str] = mapped_column(String(255))
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, endpoint: WebhookEndpoint) -> WebhookEndpointRow:
        return cls(
            id=endpoint.id, tenant_id=endpoint.tenant_id, url=endpoint.url, events=sorted(endpoint.events),
            secret=endpoint.secret, previous_secret=endpoint.previous_secret,
            previous_secret_until=endpoint.previous_secret_until, description=endpoint.description,
            created_at=endpoint.created_at,
        )

    def to_domain(self) -> WebhookEndpoint:
        return WebhookEndpoint(
            id=self.id, tenant_id=self.tenant_id, url=self.url, events=frozenset(self.events), secret=self.secret,
            created_at=self.created_at, description=self.description, previous_secret=self.previous_secret,
            previous_secret_until=self.previous_secret_until,
        )


class WebhookDeliveryRow(Base):
    """One event for one endpoint. No foreign key to the endpoint: deliveries outlive a deleted endpoint."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # An endpoint's deliveries by id, read backwards from the cursor.
        Index("ix_webhook_deliveries_tenant_endpoint", "tenant_id", "endpoint_id", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id())
    endpoint_id: Mapped[str] = mapped_column(Id())
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText())
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    attempts: Mapped[list[WebhookAttemptRow]] = relationship(
        order_by="WebhookAttemptRow.number", lazy="raise", cascade="all, delete-orphan"
    )

    @classmethod
    def from_domain(cls, delivery: WebhookDelivery) -> WebhookDeliveryRow:
        return cls(
            id=delivery.id, tenant_id=delivery.tenant_id, endpoint_id=delivery.endpoint_id,
            event_type=delivery.event_type, payload=delivery.payload, status=delivery.status.value,
            created_at=delivery.created_at,
            attempts=[WebhookAttemptRow.from_domain(delivery.id, a) for a in delivery.attempts],
        )

    def to_domain(self) -> WebhookDelivery:
        """Needs `attempts` loaded."""
        return WebhookDelivery(
            id=self.id, tenant_id=self.tenant_id, endpoint_id=self.endpoint_id, event_type=self.event_type,
            payload=self.payload, created_at=self.created_at, status=DeliveryStatus(self.status),
            attempts=[a.to_domain() for a in self.attempts],
        )


class WebhookAttemptRow(Base):
    """An attempt at a delivery. Its primary key (delivery_id, number) lets only one writer record each number."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[str] = mapped_column(
        Id(), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

    @classmethod
    def from_domain(cls, delivery_id: str, attempt: DeliveryAttempt) -> WebhookAttemptRow:
        return cls(
            delivery_id=delivery_id, number=attempt.number, at=attempt.at, status_code=attempt.status_code,
            error=attempt.error, duration_ms=attempt.duration_ms,
        )

    def to_domain(self) -> DeliveryAttempt:
        return DeliveryAttempt(
            number=self.number, at=self.at, status_code=self.status_code, error=self.error,
            duration_ms=self.duration_ms,
        )
