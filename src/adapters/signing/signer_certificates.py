"""Each signer's own certificate, issued for one signature: the port the PDF signer asks, and the development CA's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pyhanko.sign.signers import Signer

from undersign.adapters.signing.dev_pki import DEV_SIGNER_POLICY, DevPki, issue_signer_certificate
from undersign.adapters.signing.issuing_ca import IssuingCa
from undersign.adapters.signing.keys.local import InMemorySigner

# Long enough to sign once, short enough that a lost key is worthless by tomorrow.
SIGNER_CERTIFICATE_VALIDITY = timedelta(days=1)


class SignerCertificates(Protocol):
    def issue(self, *, name: str, email: str, now: datetime) -> tuple[Signer, int]:
        """A signer holding a new key and a certificate made for this person, and the certificate's serial."""
        ...


class DevSignerCertificates:
    """Per-signer certificates from the development issuing CA (ECDSA P-256, a day's validity)."""

    def __init__(
        self, pki: DevPki, *, validity: timedelta = SIGNER_CERTIFICATE_VALIDITY, policy: str | None = None
    ) -> None:
        self._pki = pki
        self._validity = validity
        self._policy = policy or DEV_SIGNER_POLICY

    def issue(self, *, name: str, email: str, now: datetime) -> tuple[Signer, int]:
        key, certificate = issue_signer_certificate(
            self._pki, name=name, email=email, now=now, validity=self._validity, policy=self._policy
        )
        chain = (self._pki.issuing_cert, self._pki.root_cert)
        return InMemorySigner(key, certificate, chain), certificate.serial_number


class CaSignerCertificates:
    """Per-signer certificates from the operator's issuing CA (UNDERSIGN_SIGNER_CA), its key wherever it is kept."""

    def __init__(self, ca: IssuingCa, *, validity: timedelta = SIGNER_CERTIFICATE_VALIDITY) -> None:
        self._ca = ca
        self._validity = validity

    def issue(self, *, name: str, email: str, now: datetime) -> tuple[Signer, int]:
        key, certificate = self._ca.issue(name=name, email=email, now=now, validity=self._validity)
        return InMemorySigner(key, certificate, (self._ca.certificate, *self._ca.chain)), certificate.serial_number
