"""The revocations of signers' certificates, kept in memory."""

from __future__ import annotations

from tests.fakes.database import KeyedFake, Writes
from undersign.domain.certificate_revocation import CertificateRevocation


class FakeCertificateRevocations(KeyedFake):
    """`add` answers at once, like the SQL INSERT; a serial another unit of work commits in
    between is a ConcurrencyConflict at commit (the port allows it: the SQL one waits instead)."""

    def __init__(self, table: dict[str, CertificateRevocation], writes: Writes) -> None:
        super().__init__(table, writes)
        self._staged: dict[str, CertificateRevocation] = {}

    async def add(self, revocation: CertificateRevocation) -> bool:
        if revocation.serial in self._table or revocation.serial in self._staged:
            return False
        self._staged[revocation.serial] = revocation
        self._stage(revocation.serial, revocation)
        return True

    async def get(self, serial: str) -> CertificateRevocation | None:
        return self._staged.get(serial) or self._table.get(serial)

    async def all(self) -> list[CertificateRevocation]:
        every = {**self._table, **self._staged}.values()
        return sorted(every, key=lambda r: (r.revoked_at, r.serial))
