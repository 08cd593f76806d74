"""What a certificate must chain to, and how its revocation status is learnt, when we sign.

Every signature starts with pyHanko validating the signer's certificate (and the TSA's)
against explicit trust roots, revocation included, so an expired, revoked or foreign
certificate is refused instead of used. The same check gathers the revocation data that
B-LT and B-LTA embed.

With the development PKI the revocation lists are made in this process and nothing is
fetched; certificates from a real CA (a production TSA, say) name their OCSP responders
and CRL servers, which are asked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from adapters.signing.dev_revocation import DevRevocation


class SigningTrust:
    def __init__(
        self,
        *,
        trust_roots: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        dev_revocation: DevRevocation | None = None,
        fetch_revocation: bool = True,
    ) -> None:
        if not trust_roots:
            raise ValueError("signing needs at least one trust root")
        self._roots = [_asn1_certificate(cert) for cert in trust_roots]
        self._intermediates = [_asn1_certificate(cert) for cert in intermediates]
        self._dev_revocation = dev_revocation
        self._fetch = fetch_revocation
        if dev_revocation is not None and not fetch_revocation:
            _quiet_offline_embedding_warning()

    def validation_context(self) -> ValidationContext:
        """A fresh context for one signature (contexts cache what they fetch and validate).

        The revocation status of every certificate but the trust roots' must be learnt, at
        every level ("require"): a certificate whose status cannot be known is refused like
        a revoked one. ("hard-fail" would skip certificates that name no CRL or OCSP
        service, as the development PKI's do, so a revoked one would pass.)
        """
        return ValidationContext(
            trust_roots=self._roots,
            other_certs=self._intermediates,
            crls=self._dev_revocation.crls() if self._dev_revocation else (),
            allow_fetching=self._fetch,
            revocation_mode="require",
        )


class _OfflineEmbeddingWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


def _quiet_offline_embedding_warning() -> None:
    # pyHanko warns on every B-LT signature made without fetching; with the development
    # revocation lists handed to it, that is the plan, not an accident.
    logger = logging.getLogger("pyhanko.sign.signers.pdf_signer")
    if not any(isinstance(f, _OfflineEmbeddingWarning) for f in logger.filters):
        logger.addFilter(_OfflineEmbeddingWarning())


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
