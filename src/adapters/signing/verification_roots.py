"""The trust roots a caller gives a verification: anyone's bytes, read as PEM or DER certificates, a few at most."""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data

from undersign.adapters.signing.pdf_errors import reason
from undersign.application.shared.errors import InvalidTrustRoot

MAX_TRUST_ROOTS = 50  # a verification's own trust anchors: a few roots, not a certificate store


def read_trust_roots(trust_roots: list[bytes]) -> list[asn1_x509.Certificate]:
    roots = []
    for data in trust_roots:
        try:
            roots.extend(_certificates(data))
        except ValueError as error:
            raise InvalidTrustRoot(f"a trust root is not a PEM or DER X.509 certificate: {error}") from error
    if len(roots) > MAX_TRUST_ROOTS:
        raise InvalidTrustRoot(f"at most {MAX_TRUST_ROOTS} trust roots are taken; these hold {len(roots)}")
    return roots


def _certificates(data: bytes) -> list[asn1_x509.Certificate]:
    try:
        certificates = list(load_certs_from_pemder_data(data))
        for certificate in certificates:
            certificate.native  # noqa: B018 - asn1crypto parses lazily; this makes it parse now
    except Exception as error:  # asn1crypto raises ValueError, TypeError and others on garbage
        raise ValueError(reason(error)) from error
    if not certificates:
        raise ValueError("it holds no certificate")
    return certificates
