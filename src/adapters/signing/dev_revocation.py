"""Revocation data of the development PKI, made in this process: no CRL server, no network.

What a signature embeds (B-LT and up) must let a validator decades from now slide back to a
moment when each certificate was valid and known not to be revoked (ETSI EN 319 102-1's
time slide, as pyHanko runs it): to when the most recent revocation data it holds about
the certificate stops being fresh. A revocation list speaks for every certificate of its
CA at once, so the list embedded with a later signature, the seal or an archive renewal
becomes the most recent about a signer whose day-long certificate ended long before, and
the slide stops where that certificate is no longer valid: pyHanko then calls the
signature INDETERMINATE two days after it was made. So each certificate the issuing CA
makes (a signer's, the seal's, each TSA certificate) has its status in an OCSP response of
its own, signed by the CA itself, made after the certificate and fresh until just before
it ends. The root's one list, signed when the PKI was made (its key is gone), speaks for
the issuing CA.

A PKI made before its certificates named an OCSP responder (pyHanko reads no response for
a certificate that names none) keeps the issuing CA's week-long lists, as then.

Revocations live in this process only. The development PKI never needs to revoke a real
certificate (per-signer certificates live a day); `revoke` is there so tests and a
developer can watch a revoked certificate be refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from undersign.adapters.signing.dev_pki import CLOCK_SKEW, DevPki, build_crl, names_ocsp_responder, tsa_certificates

LEGACY_CRL_VALIDITY = timedelta(days=7)


class DevRevocation:
    """The development PKI's revocation data for a validation context: OCSP responses, and the root's list."""

    def __init__(self, pki: DevPki) -> None:
        self._pki = pki
        self._root_crl = _asn1_crl(pki.root_crl)
        self._legacy = not names_ocsp_responder(pki.seal_cert)
        self._revoked: dict[int, datetime] = {}
        self._tsa_years: dict[int, x509.Certificate] = {}  # the TSA's later certificates, read once
        # The seal's and the TSA's responses, made once: they stay fresh until the certificate
        # ends and were made after it. A revocation clears them. By serial number.
        self._standing: dict[int, asn1_ocsp.OCSPResponse] = {}
        self._revocations = 0  # how many revoke() calls: a response made across one is not kept
        self._lock = threading.Lock()

    def revoke(self, serial_number: int, *, at: datetime | None = None) -> None:
        """Revoke a certificate of the issuing CA's, since `at` (now)."""
        with self._lock:
            self._revoked[serial_number] = at or datetime.now(UTC)
            self._revocations += 1
            self._standing.clear()

    def crls(self) -> list[asn1_crl.CertificateList]:
        """The root's list (the issuing CA is not revoked); for an older PKI, the issuing CA's week-long list too."""
        if not self._legacy:
            return [self._root_crl]
        now = datetime.now(UTC)
        issuing = build_crl(
            self._pki.issuing_cert,
            self._pki.issuing_key,
            this_update=now - CLOCK_SKEW,
            next_update=now + LEGACY_CRL_VALIDITY,
            # Increasing across restarts without keeping a counter anywhere.
            number=int(now.timestamp() * 1_000_000),
            revoked=self._revoked_now(),
        )
        return [self._root_crl, _asn1_crl(issuing)]

    def ocsp_responses(self, certificates: Iterable[x509.Certificate] = ()) -> list[asn1_ocsp.OCSPResponse]:
        """A response for each living certificate of the issuing CA's among `certificates`, the seal and the TSA's."""
        now = datetime.now(UTC)
        with self._lock:
            standing = [self._pki.seal_cert, *tsa_certificates(self._pki, now, self._tsa_years)]
        standing_serials = {c.serial_number for c in standing}
        fresh = {c.serial_number: c for c in certificates if c.serial_number not in standing_serials}
        return [
            # Ours by construction (the PKI's own files, each checked when read): no signature to check.
            *(self._standing_response(c, now) for c in standing if _answerable(c, now)),
            *(self.ocsp_response(c, now) for c in fresh.values() if self.answers_for(c, now)),
        ]

    def _standing_response(self, certificate: x509.Certificate, now: datetime) -> asn1_ocsp.OCSPResponse:
        with self._lock:
            response, revocations = self._standing.get(certificate.serial_number), self._revocations
        if response is None:
            response = self.ocsp_response(certificate, now)
            with self._lock:
                if self._revocations == revocations:
                    self._standing[certificate.serial_number] = response
        return response

    def ocsp_response(self, certificate: x509.Certificate, now: datetime | None = None) -> asn1_ocsp.OCSPResponse:
        """The issuing CA's signed answer about `certificate`: good, or revoked since when."""
        now = now or datetime.now(UTC)
        issuer = self._pki.issuing_cert
        revoked_at = self._revoked_now().get(certificate.serial_number)
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=certificate,
                issuer=issuer,
                algorithm=hashes.SHA256(),
                cert_status=ocsp.OCSPCertStatus.GOOD if revoked_at is None else ocsp.OCSPCertStatus.REVOKED,
                this_update=now - CLOCK_SKEW,
                # Fresh for the certificate's whole life and no longer: see the module's docstring.
                next_update=certificate.not_valid_after_utc - CLOCK_SKEW,
                revocation_time=revoked_at,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
            .sign(self._pki.issuing_key, hashes.SHA384())
        )
        return asn1_ocsp.OCSPResponse.load(response.public_bytes(serialization.Encoding.DER))

    def answers_for(self, certificate: x509.Certificate, now: datetime) -> bool:
        """Whether the issuing CA gives `certificate` a status here: one it made, that names a responder and lives."""
        if not _answerable(certificate, now):
            return False
        try:  # by its signature: another development PKI's issuing CA has the same name
            certificate.verify_directly_issued_by(self._pki.issuing_cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    def _revoked_now(self) -> dict[int, datetime]:
        with self._lock:
            return dict(self._revoked)


def _answerable(certificate: x509.Certificate, now: datetime) -> bool:
    # An ended certificate has no status left to give (nextUpdate would precede thisUpdate).
    return names_ocsp_responder(certificate) and certificate.not_valid_after_utc - CLOCK_SKEW > now


def _asn1_crl(crl: x509.CertificateRevocationList) -> asn1_crl.CertificateList:
    return asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))
