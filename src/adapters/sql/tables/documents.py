"""Documents and their revisions (original, prepared, signed, sealed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from undersign.adapters.sql.tables.base import BLOB_KEY_LENGTH, MYSQL_TABLE_OPTIONS, Base, Id, JsonText, UtcDateTime
from undersign.domain.document import Document, DocumentStatus, Revision, RevisionKind
from undersign.domain.field import PageSize


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
    # `undersign storage check` pages through blobs by key and looks keys up (adapters/sql/recorded_blobs.py).
    __table_args__ = (Index("ix_document_revisions_blob_key", "blob_key"), MYSQL_TABLE_OPTIONS)

    document_id: Mapped[str] = mapped_column(Id(), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(Id())
    kind: Mapped[str] = mapped_column(String(16))
    blob_key: Mapped[str] = mapped_column(Id(BLOB_KEY_LENGTH))  # compared byte-wise: keyset order by key
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
