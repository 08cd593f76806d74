"""The development time-stamping authority: RFC 3161 time stamps made in this process.

It signs with the development PKI's TSA certificate of the year (`dev_pki.tsa_at`): a new
one every year, each valid ten years, as a real TSA rotates its keys.

So that the embedded default signs at every level (B-T and up need a trusted time stamp)
with no network. Its certificate comes from the development issuing CA and says
DEVELOPMENT; its time is this machine's clock, which is all any TSA's time is, but
nobody outside this installation has a reason to believe this one. Production points
UNDERSIGN_TSA_URLS at real TSAs instead.

pyHanko's own in-process stamper (`DummyTimeStamper`, for its tests) does not fit: it
signs with RSA keys only (ours are ECDSA), claims another organisation's policy
identifier, and identifies its certificate by a SHA-1 digest.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import TimeStamper

from undersign.adapters.signing.dev_pki import DevPki, DevTsa, tsa_at, tsa_rotation
from undersign.adapters.signing.timestamper_paths import PathsOncePerContext

# A policy identifier nobody can mistake for a real one: 2.999 is ITU-T X.660's "example"
# arc, open to anyone without registration. Short on purpose: the UUID arc (2.25.<128-bit
# number>) used before broke a third-party validator whose parser holds an arc in 64 bits.
DEV_TSA_POLICY = "2.999.1.1"


class DevTimeStamper(PathsOncePerContext, TimeStamper):
    """Grants every request: a token over the request's imprint, signed with ECDSA P-256 and SHA-256."""

    def __init__(self, pki: DevPki) -> None:
        super().__init__()
        self._pki = pki
        self._issuing_der = pki.issuing_cert.public_bytes(serialization.Encoding.DER)
        self._parts: _TokenParts | None = None
        self._lock = threading.Lock()

    def _parts_for(self, now: datetime) -> _TokenParts:
        """This year's certificate and key, read (or made) once a year, not on every request."""
        with self._lock:
            if self._parts is None or self._parts.tsa.rotation != tsa_rotation(self._pki, now):
                self._parts = _token_parts(tsa_at(self._pki, now), self._issuing_der)
            return self._parts

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """The response, parsed back from its DER encoding, as a real TSA's would be.

        asn1crypto re-encodes a structure built in memory (never parsed) on every access to
        its contents, at every level, so embedding a built token in a signature made pyHanko's
        final encoding of the signature take minutes. Nothing in a response is shared with
        another either: signatures are made on several threads at once.

        For the same reason a built part goes into a tagged field (the signed attributes,
        the certificates, the signed data) as its encoding parsed back: asn1crypto copies
        what it tags, and copying and re-encoding built structures cost nine tenths of a
        token's time. What every token of a TSA certificate shares is encoded once.
        """
        now = datetime.now(UTC)
        parts = self._parts_for(now)
        info = {
            "version": "v1",
            "policy": DEV_TSA_POLICY,
            "message_imprint": req["message_imprint"],
            # RFC 3161 2.4.2: unique per token, at most 160 bits.
            "serial_number": secrets.randbits(159),
            "gen_time": now,
            "tsa": asn1_x509.GeneralName.load(parts.name),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        tst_info = tsp.TSTInfo(info).dump()
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_info)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("message_digest", digest.finalize()),
                cms.CMSAttribute.load(parts.signing_certificate),
            ]
        ).dump()
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(parts.signer_id),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signed_attrs": cms.CMSAttributes.load(signed_attrs),
                "signature": parts.tsa.key.sign(signed_attrs, ec.ECDSA(hashes.SHA256())),
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info)},
            "signer_infos": [signer_info],
        }
        if req["cert_req"].native:
            signed_data["certificates"] = cms.CertificateSet.load(parts.certificates)
        signed_data_der = cms.SignedData(signed_data).dump()
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData.load(signed_data_der)})
        response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        return tsp.TimeStampResp.load(response.dump())


@dataclass(frozen=True, slots=True)
class _TokenParts:
    """What every token signed with one TSA certificate shares, encoded once (bytes: nothing shared between threads)."""

    tsa: DevTsa
    name: bytes  # the TSA as a GeneralName
    signing_certificate: bytes  # RFC 5816: the ESS signing-certificate-v2 attribute, a SHA-256 digest of the certificate
    signer_id: bytes
    certificates: bytes  # the TSA's certificate and its issuer's


def _token_parts(tsa: DevTsa, issuing_der: bytes) -> _TokenParts:
    certificate = asn1_x509.Certificate.load(tsa.certificate.public_bytes(serialization.Encoding.DER))
    issuer_and_serial = cms.IssuerAndSerialNumber({"issuer": certificate.issuer, "serial_number": certificate.serial_number})
    return _TokenParts(
        tsa=tsa,
        name=asn1_x509.GeneralName(name="directory_name", value=certificate.subject).dump(),
        signing_certificate=simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(certificate)).dump(),
        signer_id=cms.SignerIdentifier(name="issuer_and_serial_number", value=issuer_and_serial).dump(),
        certificates=cms.CertificateSet([certificate, asn1_x509.Certificate.load(issuing_der)]).dump(),
    )
