"""The development CA's OCSP responder as pyHanko reaches it when it fetches revocation data: in this process.

With fetching on (real TSAs configured, or a seal from another CA), pyHanko asks the
responder a certificate names instead of reading the responses it was given, and the
development certificates name one that no network can reach (dev_pki.DEV_OCSP_URL). This
backend answers for them from DevRevocation and hands every other certificate to pyHanko's
own fetchers, which go over the network as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from asn1crypto import cms, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.api import FetcherBackend, Fetchers, OCSPFetcher

from undersign.adapters.signing.dev_revocation import DevRevocation


class DevFetcherBackend(FetcherBackend):
    """pyHanko's fetchers, but the development CA's OCSP answers come from DevRevocation."""

    def __init__(self, revocation: DevRevocation, upstream: FetcherBackend) -> None:
        self._revocation, self._upstream = revocation, upstream

    def get_fetchers(self) -> Fetchers:
        upstream = self._upstream.get_fetchers()
        return Fetchers(
            ocsp_fetcher=_DevOcspFetcher(self._revocation, upstream.ocsp_fetcher),
            crl_fetcher=upstream.crl_fetcher,
            cert_fetcher=upstream.cert_fetcher,
        )

    async def close(self) -> None:
        await self._upstream.close()


class _DevOcspFetcher(OCSPFetcher):
    def __init__(self, revocation: DevRevocation, upstream: OCSPFetcher) -> None:
        self._revocation, self._upstream = revocation, upstream
        self._answered: dict[bytes, ocsp.OCSPResponse] = {}  # by the certificate's DER

    async def fetch(self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2, authority: Authority) -> ocsp.OCSPResponse:
        ours = self._ours(cert)
        if ours is None:
            return await self._upstream.fetch(cert, authority)
        response = self._answered[cert.dump()] = self._revocation.ocsp_response(ours)
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return [*self._answered.values(), *self._upstream.fetched_responses()]

    def fetched_responses_for_cert(self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2) -> Iterable[ocsp.OCSPResponse]:
        if cert.dump() in self._answered:
            return [self._answered[cert.dump()]]
        return self._upstream.fetched_responses_for_cert(cert)

    def _ours(self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2) -> x509.Certificate | None:
        if not isinstance(cert, asn1_x509.Certificate):
            return None
        certificate = x509.load_der_x509_certificate(cert.dump())
        return certificate if self._revocation.answers_for(certificate, datetime.now(UTC)) else None
