"""The PDF signer as the configuration asks for it.

Embedded default: the development PKI issues the certificates, its revocation lists are
made in this process and its TSA stamps in this process, so every level up to B-LTA works
offline. With UNDERSIGN_TSA_URLS, those TSAs stamp instead (in order, the next when one
fails); with UNDERSIGN_SIGNER_CA, the operator's issuing CA issues signers' certificates.
As soon as anything comes from outside the development PKI (those TSAs, a seal key or a
signers' CA of your own), its certificates must chain to one of UNDERSIGN_TRUST_ROOTS, and
revocation data is fetched from wherever certificates say it is published (but our own
issuing CA answers for its signers' certificates in process).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import structlog

from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.issuing_ca import IssuingCa
from undersign.adapters.signing.keys.base import SealKey
from undersign.adapters.signing.keys.local import dev_seal_key
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner
from undersign.adapters.signing.signer_certificates import CaSignerCertificates, DevSignerCertificates
from undersign.adapters.signing.timestamps import TimestampAuthorities
from undersign.adapters.signing.trust import SigningTrust, load_trust_anchors

log = structlog.get_logger("undersign.signing")


def configured_pdf_signer(
    pki: DevPki,
    *,
    tsa_urls: Sequence[str] = (),
    trust_root_files: Sequence[Path] = (),
    seal: SealKey | None = None,
    signer_ca: IssuingCa | None = None,
    signer_certificate_policy: str | None = None,
) -> PyHankoPdfSigner:
    """`seal`: the platform seal's key (the development PKI's when not given); `signer_ca`: the
    operator's issuing CA for signers' certificates (the development CA's when not given).

    A seal key from elsewhere brings its chain along as intermediates; its root must be
    one of `trust_root_files`, or the first seal is refused as untrusted. A file that cannot be
    read as certificates raises TrustAnchorError.
    """
    seal = seal or dev_seal_key(pki)
    outside_dev_pki = seal.certificate.issuer != pki.issuing_cert.subject or signer_ca is not None
    if tsa_urls:
        timestamps = TimestampAuthorities.over_http(tsa_urls)
    else:
        timestamps = TimestampAuthorities.development(pki)
        log.warning(
            "DEVELOPMENT time-stamping authority and revocation lists in use: time stamps made by this "
            "installation prove nothing to anyone else. Set UNDERSIGN_TSA_URLS in production."
        )
    trust = SigningTrust.for_dev_pki(
        pki,
        extra_roots=load_trust_anchors(trust_root_files),
        extra_intermediates=[*seal.chain, *((signer_ca.certificate, *signer_ca.chain) if signer_ca else ())],
        signer_ca=signer_ca,
        fetch_revocation=bool(tsa_urls) or outside_dev_pki,
    )
    return PyHankoPdfSigner(
        signer_certificates=CaSignerCertificates(signer_ca)
        if signer_ca
        else DevSignerCertificates(pki, policy=signer_certificate_policy),
        seal=seal.signer(),
        trust=trust,
        timestamps=timestamps,
    )
