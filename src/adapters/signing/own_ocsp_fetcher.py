"""Our own CAs' OCSP responders as pyHanko reaches them when it fetches revocation data: in this process.

With fetching on (real TSAs configured, a seal or a signers' CA from another PKI), pyHanko
asks the responder a certificate names instead of reading the responses it was given. The
development certificates name one that no network can reach (dev_pki.DEV_OCSP_URL), and a
signer's certificate from the operator's issuing CA names this installation's own
responder, which should not have to call itself over the network mid-signature. This
backend answers for both in process (DevRevocation, IssuingCa) and hands every other
certificate to pyHanko's own fetchers, which go over the network as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from asn1crypto import cms, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.api import FetcherBackend, Fetchers, OCSPFetcher


class OwnResponder(Protocol):
    """A CA of ours that gives the status of its certificates in this process."""

    def answers_for(self, certificate: x509.Certificate, now: datetime) -> bool: ...

    def ocsp_response(self, certificate: x509.Certificate, now: datetime) -> ocsp.OCSPResponse: ...


class OwnCaFetcherBackend(FetcherBackend):
    """pyHanko's fetchers, but our own CAs' OCSP answers come from them directly."""

    def __init__(self, responders: Sequence[OwnResponder], upstream: FetcherBackend) -> None:
        self._responders, self._upstream = tuple(responders), upstream

    def get_fetchers(self) -> Fetchers:
        upstream = self._upstream.get_fetchers()
        return Fetchers(
            ocsp_fetcher=_OwnOcspFetcher(self._responders, upstream.ocsp_fetcher),
            crl_fetcher=upstream.crl_fetcher,
            cert_fetcher=upstream.cert_fetcher,
        )

    async def close(self) -> None:
        await self._upstream.close()


class _OwnOcspFetcher(OCSPFetcher):
    def __init__(self, responders: tuple[OwnResponder, ...], upstream: OCSPFetcher) -> None:
        self._responders, self._upstream = responders, upstream
        self._answered: dict[bytes, ocsp.OCSPResponse] = {}  # by the certificate's DER

    async def fetch(self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2, authority: Authority) -> ocsp.OCSPResponse:
        found = self._ours(cert)
        if found is None:
            return await self._upstream.fetch(cert, authority)
        responder, certificate = found
        response = self._answered[cert.dump()] = responder.ocsp_response(certificate, datetime.now(UTC))
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return [*self._answered.values(), *self._upstream.fetched_responses()]

    def fetched_responses_for_cert(self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2) -> Iterable[ocsp.OCSPResponse]:
        if cert.dump() in self._answered:
            return [self._answered[cert.dump()]]
        return self._upstream.fetched_responses_for_cert(cert)

    def _ours(
        self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2
    ) -> tuple[OwnResponder, x509.Certificate] | None:
        if not isinstance(cert, asn1_x509.Certificate):
            return None
        certificate, now = x509.load_der_x509_certificate(cert.dump()), datetime.now(UTC)
        responder = next((r for r in self._responders if r.answers_for(certificate, now)), None)
        return None if responder is None else (responder, certificate)
