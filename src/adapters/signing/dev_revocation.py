"""Revocation lists of the development PKI, made in this process: no CRL server, no network.

The root's list was signed once, when the PKI was made (its key is gone). The issuing CA's
list is signed here, again whenever the one in hand is an hour old or a certificate has
just been revoked, so the list a signature embeds (B-LT and up) is always recent. Each new
list says it is good for a week: a verifier may keep using it that long, offline.

Revocations live in this process only. The development PKI never needs to revoke a real
certificate (per-signer certificates live a day); `revoke` is there so tests and a
developer can watch a revoked certificate be refused.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from undersign.adapters.signing.dev_pki import CLOCK_SKEW, DevPki, build_crl

CRL_VALIDITY = timedelta(days=7)
CRL_REFRESH = timedelta(hours=1)


class DevRevocation:
    """The current CRLs of the development root and issuing CA, for a validation context."""

    def __init__(self, pki: DevPki) -> None:
        self._pki = pki
        self._root_crl = _asn1_crl(pki.root_crl)
        self._revoked: dict[int, datetime] = {}
        self._issuing_crl: asn1_crl.CertificateList | None = None
        self._issued_at: datetime  # when the issuing CA's list in hand was signed; set with it
        self._lock = threading.Lock()

    def revoke(self, serial_number: int, *, at: datetime | None = None) -> None:
        """Put a certificate of the issuing CA's on its revocation list, revoked since `at` (now)."""
        with self._lock:
            self._revoked[serial_number] = at or datetime.now(UTC)
            self._issuing_crl = None

    def crls(self) -> list[asn1_crl.CertificateList]:
        """The root's list and a recent list from the issuing CA."""
        now = datetime.now(UTC)
        with self._lock:
            if self._issuing_crl is None or now - self._issued_at >= CRL_REFRESH:
                self._issuing_crl = _asn1_crl(
                    build_crl(
                        self._pki.issuing_cert,
                        self._pki.issuing_key,
                        this_update=now - CLOCK_SKEW,
                        next_update=now + CRL_VALIDITY,
                        # Increasing across restarts without keeping a counter anywhere.
                        number=int(now.timestamp() * 1_000_000),
                        revoked=self._revoked,
                    )
                )
                self._issued_at = now
            return [self._root_crl, self._issuing_crl]


def _asn1_crl(crl: x509.CertificateRevocationList) -> asn1_crl.CertificateList:
    return asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))
