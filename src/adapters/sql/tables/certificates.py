"""The revocations of signers' certificates: one row per revoked serial, for the whole installation.

The serial is the primary key: that is what makes revoking race-safe between processes
(of two inserting one serial, the database lets one in), and what OCSP looks up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from undersign.adapters.sql.tables.base import Base, Id, UtcDateTime
from undersign.domain.certificate_revocation import (
    MAX_REVOKED_BY_LENGTH,
    MAX_SERIAL_DIGITS,
    CertificateRevocation,
    RevocationReason,
)

MAX_REASON_LENGTH = 32


class CertificateRevocationRow(Base):
    __tablename__ = "certificate_revocations"

    serial: Mapped[str] = mapped_column(Id(MAX_SERIAL_DIGITS), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Id(MAX_REASON_LENGTH))
    revoked_by: Mapped[str | None] = mapped_column(String(MAX_REVOKED_BY_LENGTH))

    @classmethod
    def from_domain(cls, revocation: CertificateRevocation) -> CertificateRevocationRow:
        return cls(
            serial=revocation.serial, revoked_at=revocation.revoked_at, reason=revocation.reason.value,
            revoked_by=revocation.revoked_by,
        )

    def to_domain(self) -> CertificateRevocation:
        return CertificateRevocation(
            serial=self.serial, revoked_at=self.revoked_at, reason=RevocationReason(self.reason),
            revoked_by=self.revoked_by,
        )
