"""The CA that issues each signer's certificate, and speaks for them: OCSP answers and a revocation list.

Its key is wherever the operator keeps it (UNDERSIGN_SIGNER_CA: the development CA's, a
PKCS#12 file, a PKCS#11 token), through the seal's key-custody adapters; ca_signatures.py
signs with it. The certificates it issues name where their status is published: this
installation's OCSP responder and revocation list (`{UNDERSIGN_PUBLIC_URL}/pki/...`).

The same answers serve both ways a relying party learns a status: what a signature embeds
(B-LT and up: an OCSP response made just after the certificate, fresh until the
certificate ends, so a validator decades later can slide back to when it was valid; see
dev_revocation.py) and what the published responder says online. Only the status may
differ, once the operator revokes a certificate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from undersign.adapters.signing.ca_signatures import certificate_signed_by, crl_signed_by, ocsp_signed_by
from undersign.adapters.signing.keys.base import SealKey
from undersign.adapters.signing.signer_certificate_profile import authority_key_identifier, signer_certificate_builder

# Where this installation publishes, under UNDERSIGN_PUBLIC_URL: the OCSP responder (RFC 6960,
# POST and GET), the revocation list and the CA's certificate (both DER).
OCSP_PATH = "/pki/ocsp"
CRL_PATH = "/pki/issuing-ca.crl"
CA_CERTIFICATE_PATH = "/pki/issuing-ca.crt"
# Certificates and answers start a little in the past so a verifier whose clock lags ours accepts them.
CLOCK_SKEW = timedelta(minutes=5)
# How long a revocation list is current: relying parties fetch a new one this often.
CRL_VALIDITY = timedelta(days=1)


class IssuingCaError(Exception):
    """The configured key and certificate cannot issue signers' certificates; the message says why."""


@dataclass(frozen=True, slots=True)
class Revoked:
    """A revoked certificate, as the lists and answers state it."""

    at: datetime
    reason: x509.ReasonFlags | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicationPoints:
    """Where relying parties ask about this CA's certificates."""

    ocsp_url: str
    crl_url: str | None = None


class IssuingCa:
    """Issues signers' certificates with `key` and answers for them; refuses a key whose certificate is no CA."""

    def __init__(
        self,
        key: SealKey,
        *,
        publication: PublicationPoints,
        policy: str,
        organization: str | None = None,
    ) -> None:
        _check_can_issue(key.certificate)
        self._key = key
        self._publication = publication
        self._policy = policy
        self._organization = organization

    @property
    def certificate(self) -> x509.Certificate:
        return self._key.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The certificates above the issuing CA, its issuer first, as far as they are known."""
        return self._key.chain

    def close(self) -> None:
        """Give up the key's token session, if it is on a token."""
        close = getattr(self._key, "close", None)
        if close is not None:
            close()

    def issue(
        self, *, name: str, email: str, now: datetime, validity: timedelta
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A fresh ECDSA P-256 key and a certificate for one signer, valid from just before `now`."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = signer_certificate_builder(
            name=name,
            email=email,
            public_key=key.public_key(),
            issuer=self.certificate,
            not_before=now - CLOCK_SKEW,
            not_after=now + validity,
            policy=self._policy,
            ocsp_url=self._publication.ocsp_url,
            crl_url=self._publication.crl_url,
            organization=self._organization,
        )
        return key, certificate_signed_by(builder, self._key)

    def chains_to(self, roots: Sequence[x509.Certificate]) -> bool:
        """Whether this CA, through its chain, reaches one of `roots` (else nothing it issues is trusted)."""
        path = (self.certificate, *self.chain)
        return any(c in roots for c in path) or any(_issued_by(path[-1], root) for root in roots)

    def issued(self, certificate: x509.Certificate) -> bool:
        """Whether this CA signed `certificate` (by its signature: two CAs may share a name)."""
        return _issued_by(certificate, self.certificate)

    def answers_for(self, certificate: x509.Certificate, now: datetime) -> bool:
        """Whether this CA gives `certificate` a status in process: one it signed that still lives."""
        return certificate.not_valid_after_utc - CLOCK_SKEW > now and self.issued(certificate)

    def ocsp_response(
        self, certificate: x509.Certificate, now: datetime, revoked: Revoked | None = None
    ) -> asn1_ocsp.OCSPResponse:
        """The CA's answer about one of its certificates, current until that certificate ends."""
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=certificate,
            issuer=self.certificate,
            algorithm=hashes.SHA256(),
            **_status(revoked),
            this_update=now - CLOCK_SKEW,
            next_update=certificate.not_valid_after_utc - CLOCK_SKEW,
        )
        return self._signed(builder)

    def answer(self, request: ocsp.OCSPRequest, now: datetime, revoked: Revoked | None) -> asn1_ocsp.OCSPResponse:
        """The CA's answer to an OCSP request about one serial number (see `asks_us`)."""
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            **_status(revoked),
            this_update=now - CLOCK_SKEW,
            # Without the certificate its end is unknown: current as long as a revocation list is.
            next_update=now + CRL_VALIDITY,
        )
        return self._signed(builder)

    def asks_us(self, request: ocsp.OCSPRequest) -> bool:
        """Whether `request` asks about a certificate of this CA's (by the hashes of its name and key)."""
        digest = hashes.Hash(request.hash_algorithm)
        digest.update(self.certificate.subject.public_bytes())
        name_hash = digest.finalize()
        return name_hash == request.issuer_name_hash and self._key_hash(request.hash_algorithm) == request.issuer_key_hash

    def crl(self, revoked: Mapping[int, Revoked], now: datetime, number: int) -> x509.CertificateRevocationList:
        """This CA's revocation list: `revoked` by serial number, current for a day."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - CLOCK_SKEW)
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(authority_key_identifier(self.certificate), critical=False)
        )
        for serial, revocation in sorted(revoked.items()):
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revocation.at)
            if revocation.reason is not None:
                entry = entry.add_extension(x509.CRLReason(revocation.reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        return crl_signed_by(builder, self._key)

    def _signed(self, builder: ocsp.OCSPResponseBuilder) -> asn1_ocsp.OCSPResponse:
        return ocsp_signed_by(builder, self._key)

    def _key_hash(self, algorithm: hashes.HashAlgorithm) -> bytes:
        # RFC 6960: the hash of the issuer's public key BIT STRING, without tag and length.
        der = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashes.Hash(algorithm)
        digest.update(asn1_keys.PublicKeyInfo.load(der)["public_key"].contents[1:])
        return digest.finalize()


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _check_can_issue(certificate: x509.Certificate) -> None:
    subject = certificate.subject.rfc4514_string()
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as error:
        raise IssuingCaError(f"the certificate {subject} is not a CA's: it lacks {error.oid._name}") from None
    if not constraints.ca:
        raise IssuingCaError(f"the certificate {subject} is not a CA's (basic constraints say cA false)")
    if not (usage.key_cert_sign and usage.crl_sign):
        raise IssuingCaError(f"the certificate {subject} may not sign certificates and revocation lists (key usage)")


def _status(revoked: Revoked | None) -> dict:
    if revoked is None:
        return {"cert_status": ocsp.OCSPCertStatus.GOOD, "revocation_time": None, "revocation_reason": None}
    return {"cert_status": ocsp.OCSPCertStatus.REVOKED, "revocation_time": revoked.at, "revocation_reason": revoked.reason}
