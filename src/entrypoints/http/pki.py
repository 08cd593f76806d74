"""Where relying parties learn the status of signers' certificates: the OCSP responder, the revocation list, the CA.

The paths are the ones the certificates name (issuing_ca.OCSP_PATH...), under
UNDERSIGN_PUBLIC_URL. No API key: a relying party anywhere must be able to ask, and the
answers say nothing the certificates do not already show. OCSP follows RFC 6960 (and the
RFC 5019 profile): a request is POSTed as `application/ocsp-request`, or sent in a GET as
base64 in the path; a request that cannot be read still gets an OCSP response (a
malformedRequest) with status 200, as OCSP clients expect.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from undersign.adapters.signing.issuing_ca import CA_CERTIFICATE_PATH, CRL_PATH, OCSP_PATH
from undersign.application.signing.certificate_status import PublishedCertificateStatus

PUBLISHED = "relying parties check signers' certificates here; the answers are public by design"
OCSP_RESPONSE, CRL, CERTIFICATE = "application/ocsp-response", "application/pkix-crl", "application/pkix-cert"
# An OCSP request about one certificate is a few hundred bytes; anything near this is not one.
MAX_OCSP_REQUEST_BYTES = 4 * 1024


@post(OCSP_PATH, status_code=200, media_type=OCSP_RESPONSE, tags=["certificate status"], public=PUBLISHED)
async def ocsp_post(
    request: Request, published_certificate_status: NamedDependency[PublishedCertificateStatus]
) -> Response[bytes]:
    """An OCSP response (RFC 6960) to the `application/ocsp-request` in the body."""
    answer = await published_certificate_status.ocsp(await request.body())
    return Response(answer, media_type=OCSP_RESPONSE, headers={"Cache-Control": "no-store"})


@get(f"{OCSP_PATH}/{{encoded:path}}", media_type=OCSP_RESPONSE, tags=["certificate status"], public=PUBLISHED)
async def ocsp_get(
    encoded: FromPath[str], published_certificate_status: NamedDependency[PublishedCertificateStatus]
) -> Response[bytes]:
    """An OCSP response to the request in the path (base64 of its DER, URL-encoded), cacheable for an hour."""
    answer = await published_certificate_status.ocsp(_decoded(encoded.lstrip("/")))
    return Response(answer, media_type=OCSP_RESPONSE, headers={"Cache-Control": "public, max-age=3600"})


@get(CRL_PATH, media_type=CRL, tags=["certificate status"], public=PUBLISHED)
async def revocation_list(published_certificate_status: NamedDependency[PublishedCertificateStatus]) -> Response[bytes]:
    """The issuing CA's current revocation list (DER), current for a day and renewed every few minutes."""
    crl = await published_certificate_status.revocation_list()
    return Response(crl, media_type=CRL, headers={"Cache-Control": "public, max-age=300"})


@get(CA_CERTIFICATE_PATH, media_type=CERTIFICATE, tags=["certificate status"], public=PUBLISHED)
async def ca_certificate(published_certificate_status: NamedDependency[PublishedCertificateStatus]) -> Response[bytes]:
    """The issuing CA's certificate (DER): what signers' certificates and the answers above are signed with."""
    return Response(
        published_certificate_status.ca_certificate(), media_type=CERTIFICATE, headers={"Cache-Control": "public, max-age=86400"}
    )


def _decoded(encoded: str) -> bytes:
    """The request's DER, or nothing (which the responder answers as malformed)."""
    text = unquote(encoded)
    if len(text) > 2 * MAX_OCSP_REQUEST_BYTES:
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


PKI_ROUTES = Router(
    path="/", route_handlers=[ocsp_post, ocsp_get, revocation_list, ca_certificate], request_max_body_size=MAX_OCSP_REQUEST_BYTES
)
