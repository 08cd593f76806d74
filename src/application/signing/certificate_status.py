"""What this installation publishes about its signers' certificates: OCSP answers, the revocation list, the CA.

Public by nature: a relying party anywhere asks whether a certificate in a signed PDF was
revoked, without an account. The answers say nothing but what the certificates already
show (a serial number is good or revoked since a time), and each is signed by the
issuing CA. The revocations come from the operator (CertificateRevocations); the CA's key,
wherever it is kept, signs through the publisher port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from undersign.application.signing.certificate_revocations import CertificateRevocations
from undersign.domain.certificate_revocation import CertificateRevocation


@dataclass(frozen=True, slots=True)
class OcspQuestion:
    """One OCSP request, read: the serial it asks about, whether it asks this CA, and the request itself."""

    serial: str
    about_our_ca: bool
    request: object  # the adapter's parsed request, handed back to it to answer


class RevocationPublisher(Protocol):
    def ocsp_question(self, request: bytes) -> OcspQuestion | None:
        """The question `request` (DER) asks; None when it is no well-formed request about one certificate."""
        ...

    async def ocsp_answer(self, question: OcspQuestion, revocation: CertificateRevocation | None) -> bytes:
        """The CA's signed answer: good, or revoked as recorded."""
        ...

    def ocsp_refusal(self, *, malformed: bool) -> bytes:
        """An unsigned refusal (RFC 6960): a malformed request, or one about another CA's certificate."""
        ...

    async def revocation_list(self, revocations: Sequence[CertificateRevocation]) -> bytes:
        """The CA's current revocation list (DER) naming `revocations`."""
        ...

    def ca_certificate(self) -> bytes:
        """The issuing CA's certificate (DER)."""
        ...


class PublishedCertificateStatus:
    def __init__(self, revocations: CertificateRevocations, publisher: RevocationPublisher) -> None:
        self._revocations, self._publisher = revocations, publisher

    async def ocsp(self, request: bytes) -> bytes:
        """The OCSP response (DER) to `request` (DER), whatever it holds: a refusal when it cannot be answered."""
        question = self._publisher.ocsp_question(request)
        if question is None or not question.about_our_ca:
            return self._publisher.ocsp_refusal(malformed=question is None)
        return await self._publisher.ocsp_answer(question, await self._revocations.status(question.serial))

    async def revocation_list(self) -> bytes:
        return await self._publisher.revocation_list(await self._revocations.revocations())

    def ca_certificate(self) -> bytes:
        return self._publisher.ca_certificate()
