"""Where the signing subject keeps what is not an envelope: the revocations of signers' certificates."""

from __future__ import annotations

from typing import Protocol

from undersign.domain.certificate_revocation import CertificateRevocation


class CertificateRevocationRepository(Protocol):
    """The installation's revoked certificates (not a tenant's: one issuing CA serves every tenant)."""

    async def add(self, revocation: CertificateRevocation) -> bool:
        """Record the revocation; False, and nothing changed, if its serial is revoked already.

        Safe between processes: of two adding one serial at once, one adds it (True) and the
        other finds it there (False). An implementation that can only tell at commit raises
        ConcurrencyConflict from the commit instead.
        """
        ...

    async def get(self, serial: str) -> CertificateRevocation | None:
        """The revocation of the certificate with this (canonical) serial, or None if it is not revoked."""
        ...

    async def all(self) -> list[CertificateRevocation]:
        """Every revocation, by time of revocation, then by serial."""
        ...
