"""A recipient's authentication: what they must pass beyond their link, and how they stand with it.

The method is the sender's choice for that recipient, else the envelope's policy's. Codes (by
email or SMS) are single use and short-lived; an access code is the sender's, handed over out
of band. Five wrong answers in a row lock the recipient until the sender unlocks them or sends
them a new link. Only hashes of codes are kept; the application hashes and compares, this
module keeps the count and decides what a check means.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from undersign.domain.errors import InvalidInput
from undersign.domain.policy import SignerAuth

MAX_FAILED_ATTEMPTS = 5
CODE_LIFETIME = timedelta(minutes=10)
CODE_RESEND_PAUSE = timedelta(seconds=30)  # between two codes to one recipient: a mailbox or phone is not a target
MAX_CODES_SENT = 10  # codes to one recipient until the sender lets them start again (texts cost money)
CODE_METHODS = frozenset({SignerAuth.EMAIL_OTP, SignerAuth.SMS_OTP})

# How much each method proves beyond the link: a code to the invited mailbox proves the least (whoever
# reads the invitation reads the code), a second channel or a secret handed over more, a sign-in at
# the organisation's identity provider most. A sender may choose a stronger method than the policy's.
STRENGTH = {
    SignerAuth.LINK: 0, SignerAuth.EMAIL_OTP: 1, SignerAuth.SMS_OTP: 2, SignerAuth.ACCESS_CODE: 2, SignerAuth.OIDC: 3,
}
MIN_ACCESS_CODE_LENGTH, MAX_ACCESS_CODE_LENGTH = 6, 64

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class CodeCheck(enum.StrEnum):
    """What a code, or a sign-in's answer, came to."""

    PASSED = "passed"
    WRONG = "wrong"  # counted; attempts remain
    LOCKED = "locked"  # this answer (or an earlier one) used up the attempts
    EXPIRED = "expired"  # no code outstanding: never sent, used, or past its minutes


def phone_number(phone: str) -> str:
    """An SMS destination in E.164 form (+ and up to 15 digits); spaces and dashes are dropped."""
    compact = re.sub(r"[\s\-().]", "", phone)
    if not _E164.fullmatch(compact):
        raise InvalidInput("a phone number for SMS codes is in international form, like +44 20 7946 0000")
    return compact


def check_access_code(code: str) -> str:
    """The access code a sender hands over: long enough not to be guessed in five tries' worth of luck."""
    if not MIN_ACCESS_CODE_LENGTH <= len(code) <= MAX_ACCESS_CODE_LENGTH or not code.isprintable() or code != code.strip():
        raise InvalidInput(
            f"an access code is {MIN_ACCESS_CODE_LENGTH} to {MAX_ACCESS_CODE_LENGTH} printable characters, "
            "without spaces around it"
        )
    return code


def masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def masked_phone(phone: str) -> str:
    return f"•••• {phone[-4:]}"


@dataclass(slots=True, kw_only=True)
class SignerAuthState:
    """One recipient's authentication: the sender's choice, the code outstanding, the failures in a row."""

    method: SignerAuth | None = None  # the sender's choice for this recipient; None: the policy's
    phone: str | None = None  # where SMS codes go
    access_code_hash: str | None = None  # the sender's access code, hashed (never kept in clear)
    code_hash: str | None = None  # the one-time code outstanding
    code_expires_at: datetime | None = None
    code_sent_at: datetime | None = None
    failed_attempts: int = 0
    codes_sent: int = 0  # since the sender last let them start again
    locked_at: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def attempts_left(self) -> int:
        return max(0, MAX_FAILED_ATTEMPTS - self.failed_attempts)

    def code_outstanding(self, now: datetime) -> bool:
        return self.code_hash is not None and self.code_expires_at is not None and now < self.code_expires_at

    def next_code_at(self) -> datetime | None:
        """When another code may be sent; None: now."""
        return self.code_sent_at + CODE_RESEND_PAUSE if self.code_sent_at else None

    @property
    def codes_used_up(self) -> bool:
        return self.codes_sent >= MAX_CODES_SENT

    def code_issued(self, code_hash: str, now: datetime) -> None:
        """A new code replaces any earlier one."""
        self.code_hash, self.code_sent_at, self.code_expires_at = code_hash, now, now + CODE_LIFETIME
        self.codes_sent += 1

    def answered(self, *, correct: bool, now: datetime, single_use: bool) -> CodeCheck:
        """Count an answer: a right one passes (and uses up a one-time code); the fifth wrong one in a row locks."""
        if self.locked:
            return CodeCheck.LOCKED
        if correct:
            self.failed_attempts = 0
            if single_use:
                self.code_hash = self.code_expires_at = None
            return CodeCheck.PASSED
        self.failed_attempts += 1
        if self.failed_attempts >= MAX_FAILED_ATTEMPTS:
            self.locked_at = now
            self.code_hash = self.code_expires_at = None
            return CodeCheck.LOCKED
        return CodeCheck.WRONG

    def unlock(self) -> None:
        self.failed_attempts, self.codes_sent, self.locked_at = 0, 0, None
        self.code_hash = self.code_expires_at = self.code_sent_at = None
