"""Each signer's own certificate, issued for one signature: the port the PDF signer asks, and the development CA's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pyhanko.sign.signers import Signer

from undersign.adapters.signing.dev_pki import DEV_SIGNER_POLICY, DevPki, issue_signer_certificate
from undersign.adapters.signing.keys.local import InMemorySigner


class SignerCertificates(Protocol):
    def issue(self, *, name: str, email: str, now: datetime) -> tuple[Signer, int]:
        """A signer holding a new key and a certificate made for this person, and the certificate's serial."""
        ...


class DevSignerCertificates:
    """Per-signer certificates from the development issuing CA (ECDSA P-256, a day's validity)."""

    def __init__(self, pki: DevPki, *, validity: timedelta = timedelta(days=1), policy: str | None = None) -> None:
        self._pki = pki
        self._validity = validity
        self._policy = policy or DEV_SIGNER_POLICY

    def issue(self, *, name: str, email: str, now: datetime) -> tuple[Signer, int]:
        key, certificate = issue_signer_certificate(
            self._pki, name=name, email=email, now=now, validity=self._validity, policy=self._policy
        )
        chain = (self._pki.issuing_cert, self._pki.root_cert)
        return InMemorySigner(key, certificate, chain), certificate.serial_number
