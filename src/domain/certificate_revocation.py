"""Revocations of the certificates the issuing CA gives signers: what the OCSP responder and the CRL publish.

A revocation is final: there is no certificateHold and no un-revoking, so a relying party
that once saw a certificate revoked is never contradicted. A certificate is named by its
serial number written the way signatures record it (`format(serial, "x")`: lowercase hex,
no leading zeros), so a serial found in a signer's evidence can be looked up as it is.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from undersign.domain.errors import InvalidInput

MAX_SERIAL_DIGITS = 40  # RFC 5280 4.1.2.2: a serial number is at most 20 octets
MAX_REVOKED_BY_LENGTH = 100

CANONICAL_SERIAL = re.compile(r"0|[1-9a-f][0-9a-f]{0,39}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_OCTET = re.compile(r"[0-9a-fA-F]{2}")
_RFC5280_NAME = re.compile(r"(?<=[a-z])(?=[A-Z])")  # keyCompromise -> key_Compromise


class RevocationReason(enum.StrEnum):
    """The RFC 5280 CRLReason values that fit a signer's one-off certificate (no certificateHold:
    a revocation is final; no cACompromise or aACompromise: those are about CAs)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"

    @property
    def code(self) -> int:
        """The CRLReason's number in RFC 5280 (5.3.1), as a CRL entry or an OCSP response carries it."""
        return _RFC5280_CODES[self]


_RFC5280_CODES = {
    RevocationReason.UNSPECIFIED: 0,
    RevocationReason.KEY_COMPROMISE: 1,
    RevocationReason.AFFILIATION_CHANGED: 3,
    RevocationReason.SUPERSEDED: 4,
    RevocationReason.CESSATION_OF_OPERATION: 5,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRevocation:
    """A signer's certificate, by serial, revoked at `revoked_at` for `reason`; `revoked_by` says who asked."""

    serial: str
    revoked_at: datetime
    reason: RevocationReason
    revoked_by: str | None = None

    def __post_init__(self) -> None:
        check_serial(self.serial)
        if self.revoked_at.tzinfo is None or self.revoked_at.utcoffset() is None:
            raise InvalidInput("a revocation's time has a time zone")
        if not isinstance(self.reason, RevocationReason):
            raise InvalidInput(f"{self.reason!r} is not a revocation reason")
        by = self.revoked_by
        if by is not None and (not by.strip() or len(by) > MAX_REVOKED_BY_LENGTH or not by.isprintable()):
            raise InvalidInput(f"who revoked is 1 to {MAX_REVOKED_BY_LENGTH} printable characters on one line")


def check_serial(serial: str) -> str:
    """`serial` if it is canonical: 1 to 40 lowercase hex digits, no leading zero (but "0" itself)."""
    if not CANONICAL_SERIAL.fullmatch(serial):
        raise InvalidInput(
            f"{serial[:50]!r} is not a certificate serial number as recorded: 1 to {MAX_SERIAL_DIGITS} lowercase "
            "hex digits without leading zeros"
        )
    return serial


def parse_serial(typed: str) -> str:
    """The canonical serial of one an operator typed or pasted.

    Accepts any case, an optional `0x`, openssl's colon-separated octets (`x509 -text` prints
    `00:c4:2a:…`, with a leading 00 when the top bit is set) and its `serial=` prefix
    (`x509 -serial`). Leading zeros are dropped: they are not part of the number.
    """
    text = typed.strip()
    too_long = f"a certificate serial number has at most {MAX_SERIAL_DIGITS} hex digits (20 octets)"
    if len(text) > 3 * MAX_SERIAL_DIGITS:
        raise InvalidInput(too_long)
    text = _without_prefix(_without_prefix(text, "serial="), "0x")
    octets = text.split(":")
    if len(octets) > 1 and not all(_OCTET.fullmatch(octet) for octet in octets):
        raise InvalidInput(f"{typed.strip()!r} is not a serial number: colons separate pairs of hex digits")
    digits = "".join(octets)
    if not _HEX.fullmatch(digits):
        raise InvalidInput(f"{typed.strip()!r} is not a serial number: use hex digits (0-9, a-f)")
    serial = digits.lower().lstrip("0") or "0"
    if len(serial) > MAX_SERIAL_DIGITS:
        raise InvalidInput(too_long)
    return check_serial(serial)


def parse_revocation_reason(typed: str) -> RevocationReason:
    """The reason an operator named: `key_compromise`, `key-compromise` or RFC 5280's `keyCompromise`."""
    name = _RFC5280_NAME.sub("_", typed.strip()).lower().replace("-", "_")
    try:
        return RevocationReason(name)
    except ValueError:
        known = ", ".join(reason.value for reason in RevocationReason)
        raise InvalidInput(f"{typed.strip()[:50]!r} is not a revocation reason; known: {known}") from None


def _without_prefix(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.lower().startswith(prefix) else text
