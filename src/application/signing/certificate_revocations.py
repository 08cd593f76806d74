"""Operators revoke signers' certificates; the OCSP responder and the CRL publish what is recorded here.

The issuing CA serves the whole installation, so revocations belong to no tenant: an
operator makes them (`undersign ca revoke`), no tenant's API key can. A revocation of any well-formed
serial is accepted, whether or not a signature of ours records it: not every certificate
the issuing CA made is on record (one made for a signature that then failed, one made by
another installation sharing the CA), and refusing would leave such a certificate good.

Revoking is idempotent and final: revoking a revoked certificate again changes nothing
(neither its time nor its reason) and answers the revocation on record, so a relying party
is never told two stories about one certificate.
"""

from __future__ import annotations

from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.certificate_revocation import CertificateRevocation, RevocationReason, check_serial
from undersign.domain.errors import ConcurrencyConflict


class CertificateRevocations:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def revoke(
        self, serial: str, reason: RevocationReason, *, revoked_by: str | None = None
    ) -> tuple[CertificateRevocation, bool]:
        """Revoke the certificate with the canonical `serial` (see domain.certificate_revocation.parse_serial) now.

        Answers the revocation on record and whether this call made it: (new, True), or, if
        the serial was revoked already (by an earlier call, or by another process at the
        same moment), (the existing one, False).
        """
        revocation = CertificateRevocation(
            serial=serial, revoked_at=self._clock.now(), reason=reason, revoked_by=revoked_by
        )
        try:
            if await self._add(revocation):
                return revocation, True
        except ConcurrencyConflict:
            # Another writer committed the same serial first; anything else is not ours to hide.
            if (existing := await self.status(serial)) is None:
                raise
            return existing, False
        # In a unit of work of its own: the one that found the serial taken may not see the winner's row.
        existing = await self.status(serial)
        if existing is None:
            raise ConcurrencyConflict(f"the revocation of {serial} was both there and not there: try again")
        return existing, False

    async def status(self, serial: str) -> CertificateRevocation | None:
        """The revocation of the certificate with this canonical serial, or None if it is not revoked."""
        check_serial(serial)
        async with self._uow() as uow:
            return await uow.certificate_revocations.get(serial)

    async def revocations(self) -> list[CertificateRevocation]:
        """Every revocation, by time of revocation, then by serial: what a CRL lists."""
        async with self._uow() as uow:
            return await uow.certificate_revocations.all()

    async def _add(self, revocation: CertificateRevocation) -> bool:
        async with self._uow() as uow:
            if not await uow.certificate_revocations.add(revocation):
                return False
            await uow.commit()
        return True
