"""The audit chains: each envelope's entries and each tenant's administrative acts, exactly as hashed and chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from undersign.adapters.sql.tables.base import Base, Id, JsonText, UtcDateTime
from undersign.domain.audit import AuditEntry, TenantAuditEntry


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


class TenantAuditEntryRow(Base):
    """A tenant's administrative act exactly as chained: its primary key (tenant_id, seq) keeps the chain
    linear, so of two acts appended after the same entry only the first to write is stored."""

    __tablename__ = "tenant_audit_entries"

    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JsonText())
    prev_hash: Mapped[str] = mapped_column(Id())
    hash: Mapped[str] = mapped_column(Id())

    @classmethod
    def from_domain(cls, entry: TenantAuditEntry) -> TenantAuditEntryRow:
        return cls(
            tenant_id=entry.tenant_id, seq=entry.seq, type=entry.type, at=entry.at, actor=entry.actor,
            data=entry.data, prev_hash=entry.prev_hash, hash=entry.hash,
        )

    def to_domain(self) -> TenantAuditEntry:
        return TenantAuditEntry(
            tenant_id=self.tenant_id, seq=self.seq, type=self.type, at=self.at, actor=self.actor,
            data=self.data, prev_hash=self.prev_hash, hash=self.hash,
        )
