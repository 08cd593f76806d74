"""How long the platform's own certificates have left: a warning within 90 days of the end, a refusal after it.

Every signature needs the platform seal, the CA that issues signers' certificates and the
time-stamping authority to be valid when it is made. When one has ended, each signing
answers 422 and every seal job fails until its retries run out; checked when a process
starts, the operator learns it from one line at deploy time instead, and 90 days early
from a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

EXPIRY_WARNING = timedelta(days=90)


class CertificateNotValid(Exception):
    """One of the platform's certificates has ended (or not begun): nothing can be signed with it."""


@dataclass(frozen=True, slots=True)
class EndingCertificate:
    role: str
    subject: str
    not_after: datetime

    def days_left(self, now: datetime) -> int:
        return (self.not_after - now).days


def check_certificate_lifetimes(certificates: Mapping[str, x509.Certificate], now: datetime) -> list[EndingCertificate]:
    """The certificates (by their role) that end within EXPIRY_WARNING of `now`, soonest first.

    CertificateNotValid names the first one that is not valid at `now` at all.
    """
    ending = []
    for role, certificate in certificates.items():
        subject = certificate.subject.rfc4514_string()
        not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
        if now >= not_after:
            raise CertificateNotValid(f"{role} certificate ({subject}) expired on {not_after:%Y-%m-%d}")
        if now < not_before:
            raise CertificateNotValid(f"{role} certificate ({subject}) is not valid before {not_before:%Y-%m-%d}")
        if not_after - now <= EXPIRY_WARNING:
            ending.append(EndingCertificate(role, subject, not_after))
    return sorted(ending, key=lambda certificate: certificate.not_after)
