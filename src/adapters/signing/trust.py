"""What a certificate must chain to, and how its revocation status is learnt, when we sign.

Every signature starts with pyHanko validating the signer's certificate (and the TSA's)
against explicit trust roots, revocation included, so an expired, revoked or foreign
certificate is refused instead of used. The same check gathers the revocation data that
B-LT and B-LTA embed.

With the development PKI the revocation lists are made in this process and nothing is
fetched; certificates from a real CA (a production TSA, say) name their OCSP responders
and CRL servers, which are asked.

The installation's trust anchor files are read here, for signing and verifying alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import OwnedFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.dev_revocation import DevRevocation
from undersign.adapters.signing.issuing_ca import IssuingCa
from undersign.adapters.signing.own_ocsp_fetcher import OwnCaFetcherBackend


class TrustAnchorError(Exception):
    """A configured trust anchor file is missing or holds no certificate: the installation is misconfigured."""


def load_trust_anchors(paths: Iterable[Path]) -> list[x509.Certificate]:
    """Every certificate in the files: PEM (one or more each) or DER."""
    certificates: list[x509.Certificate] = []
    for path in paths:
        try:
            data = path.read_bytes()
            certificates += (
                x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
            )
        except (OSError, ValueError) as error:
            raise TrustAnchorError(f"cannot read the trust anchor {path}: {error}") from error
    return certificates


class SigningTrust:
    def __init__(
        self,
        *,
        trust_roots: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        dev_revocation: DevRevocation | None = None,
        signer_ca: IssuingCa | None = None,
        fetch_revocation: bool = True,
    ) -> None:
        if not trust_roots:
            raise ValueError("signing needs at least one trust root")
        self._roots = [asn1_certificate(cert) for cert in trust_roots]
        self._intermediates = [asn1_certificate(cert) for cert in intermediates]
        self._dev_revocation = dev_revocation
        self._signer_ca = signer_ca
        self._fetch = fetch_revocation
        if dev_revocation is not None and not fetch_revocation:
            _quiet_offline_embedding_warning()

    @classmethod
    def for_dev_pki(
        cls,
        pki: DevPki,
        *,
        extra_roots: Sequence[x509.Certificate] = (),
        extra_intermediates: Sequence[x509.Certificate] = (),
        signer_ca: IssuingCa | None = None,
        fetch_revocation: bool = False,
    ) -> SigningTrust:
        """The development PKI (root, issuing CA, revocation lists made in this process), and `extra_roots`.

        `signer_ca`: the operator's issuing CA for signers' certificates, which answers for
        them in process. `fetch_revocation`: whether certificates from outside the development
        PKI (a TSA's, a seal's or a signers' CA of your own) are among those checked, so their
        revocation data must be fetched.
        """
        return cls(
            trust_roots=[pki.root_cert, *extra_roots],
            intermediates=[pki.issuing_cert, *extra_intermediates],
            dev_revocation=DevRevocation(pki),
            signer_ca=signer_ca,
            fetch_revocation=fetch_revocation,
        )

    def validation_context(self, certificates: Sequence[x509.Certificate] = ()) -> ValidationContext:
        """A fresh context for one signature and its time stamps (contexts cache what they fetch and validate).

        The revocation status of every certificate but the trust roots' must be learnt, at
        every level ("require"): a certificate whose status cannot be known is refused like
        a revoked one. ("hard-fail" would skip certificates that name no CRL or OCSP
        service, as development PKIs made before their certificates named a responder do,
        so a revoked one would pass.)
        """
        return ValidationContext(
            trust_roots=self._roots,
            other_certs=self._intermediates,
            crls=self._dev_revocation.crls() if self._dev_revocation else (),
            # `certificates`: those about to sign (a signer's, made a moment ago), to answer for too.
            # When fetching, the fetcher backend answers for them instead (pyHanko then ignores these).
            ocsps=() if self._fetch else self._ocsp_responses(certificates),
            allow_fetching=self._fetch,
            fetcher_backend=self._fetcher_backend(),
            revocation_mode="require",
        )


    def _ocsp_responses(self, certificates: Sequence[x509.Certificate]) -> list:
        responses = self._dev_revocation.ocsp_responses(certificates) if self._dev_revocation else []
        if self._signer_ca is not None:
            now = datetime.now(UTC)
            responses += [self._signer_ca.ocsp_response(c, now) for c in certificates if self._signer_ca.answers_for(c, now)]
        return responses

    def _fetcher_backend(self) -> OwnedFetcherBackend | None:
        """When fetching, our own CAs' certificates answered in this process, others over the network."""
        responders = [r for r in (self._dev_revocation, self._signer_ca) if r is not None]
        if not self._fetch or not responders:
            return None
        return OwnedFetcherBackend(OwnCaFetcherBackend(responders, AIOHttpFetcherBackend()))


class _OfflineEmbeddingWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


def _quiet_offline_embedding_warning() -> None:
    # pyHanko warns on every B-LT signature made without fetching; with the development
    # revocation lists handed to it, that is the plan, not an accident.
    logger = logging.getLogger("pyhanko.sign.signers.pdf_signer")
    if not any(isinstance(f, _OfflineEmbeddingWarning) for f in logger.filters):
        logger.addFilter(_OfflineEmbeddingWarning())
