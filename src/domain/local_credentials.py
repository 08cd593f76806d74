"""How a local user (one who signs in without SSO) proves who they are: a password, a TOTP
authenticator, recovery codes, and the lockout that slows down whoever guesses.

Pure rules on values. Hashing, code generation and checking a code against the time are the
adapters' work behind `application.access.credential_ports`; the time itself comes in as
`now`. Every transition returns a new `LocalCredentials`; the caller stores it.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from undersign.domain.errors import InvalidInput, InvalidState

# NIST SP 800-63B (5.1.1.2): a length floor and ceiling, no composition rules, no forced expiry.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# Every LOCKOUT_THRESHOLD-th consecutive failure locks the credentials; each lock lasts twice
# the one before, from FIRST_LOCKOUT up to MAX_LOCKOUT. The cap bounds what a stranger can do
# to a user by failing on purpose; at five guesses per four hours a password or a six-digit
# code is still far out of reach. Failures of the second step count like those of the first,
# so the lock also guards the TOTP codes.
LOCKOUT_THRESHOLD = 5
FIRST_LOCKOUT = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(hours=4)

# RFC 4226 asks for a shared secret of at least 128 bits (26 base32 characters) and
# recommends 160 (32 characters); base32 without padding, as authenticator apps expect it.
TOTP_SECRET = re.compile(r"^[A-Z2-7]{26,128}$")

MAX_RECOVERY_CODES = 20


def check_new_password(password: str) -> None:
    """Raise InvalidInput unless `password` may be chosen as a new password.

    12 to 256 characters (code points), not only whitespace; any characters otherwise,
    spaces and emoji included. The message never repeats the password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise InvalidInput("a password is not only whitespace")


def lockout_after(failures: int) -> timedelta | None:
    """How long `failures` consecutive failures lock the credentials for; None: no new lock."""
    if failures < LOCKOUT_THRESHOLD or failures % LOCKOUT_THRESHOLD:
        return None
    doublings = min(failures // LOCKOUT_THRESHOLD - 1, 16)  # past the cap anyway; keeps the number small
    return min(FIRST_LOCKOUT * 2**doublings, MAX_LOCKOUT)


@dataclass(frozen=True, slots=True, kw_only=True)
class TotpEnrolment:
    """A TOTP authenticator (RFC 6238) of a user.

    `confirmed_at` is None until the user has typed a first good code, which proves the app
    holds the secret; an unconfirmed enrolment is no second factor yet. `last_used_step` is
    the last time step whose code was accepted: a code of that step or an earlier one is
    never accepted again.
    """

    secret: str = field(repr=False)  # base32, no padding
    confirmed_at: datetime | None = None
    last_used_step: int | None = None

    def __post_init__(self) -> None:
        if not TOTP_SECRET.match(self.secret):
            raise InvalidInput("a TOTP secret is 26 to 128 base32 characters (A-Z, 2-7), without padding")
        if self.last_used_step is not None and self.last_used_step < 0:
            raise InvalidInput("a TOTP time step is not negative")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def accepts_step(self, step: int) -> bool:
        """Whether a code of time `step` may still be used: later than every step used before."""
        return self.last_used_step is None or step > self.last_used_step


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalCredentials:
    """What a local user signs in with, and how their recent failures stand.

    `password_hash` None: no password set yet (an invitation not taken up, say).
    `recovery_code_hashes` are the hashes of the unused recovery codes; each works once.
    `failed_attempts` counts failures since the last success; `locked_until` is when the
    last lock ends (it may lie in the past).
    """

    password_hash: str | None = field(default=None, repr=False)
    totp: TotpEnrolment | None = None
    recovery_code_hashes: tuple[str, ...] = field(default=(), repr=False)
    failed_attempts: int = 0
    locked_until: datetime | None = None

    def __post_init__(self) -> None:
        if self.failed_attempts < 0:
            raise InvalidInput("failed attempts are not negative")
        if len(self.recovery_code_hashes) > MAX_RECOVERY_CODES:
            raise InvalidInput(f"a user has at most {MAX_RECOVERY_CODES} recovery codes")
        if len(set(self.recovery_code_hashes)) != len(self.recovery_code_hashes):
            raise InvalidInput("recovery codes are distinct")

    # -- lockout ---------------------------------------------------------------------------

    def is_locked(self, now: datetime) -> bool:
        """Whether sign-in is refused at `now` without looking at what was typed."""
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime) -> LocalCredentials:
        """One more failed attempt (a wrong password or a wrong second factor) at `now`."""
        failures = self.failed_attempts + 1
        lock = lockout_after(failures)
        return replace(
            self, failed_attempts=failures, locked_until=self.locked_until if lock is None else now + lock
        )

    def after_success(self) -> LocalCredentials:
        """A complete sign-in: the count of failures starts again, and no lock remains."""
        return replace(self, failed_attempts=0, locked_until=None)

    # -- password --------------------------------------------------------------------------

    def with_password_hash(self, password_hash: str) -> LocalCredentials:
        """A new password (checked with `check_new_password` before it was hashed), or the same
        password hashed again with newer parameters."""
        return replace(self, password_hash=password_hash)

    # -- second factors --------------------------------------------------------------------

    @property
    def has_second_factor(self) -> bool:
        """Whether sign-in asks for a second step: a confirmed TOTP authenticator.

        Recovery codes stand in for a factor the user lost; on their own they are none.
        """
        return self.totp is not None and self.totp.is_confirmed

    def with_totp_enrolled(self, secret: str) -> LocalCredentials:
        """A new, unconfirmed authenticator; it replaces an unconfirmed one. A confirmed one
        must be removed first (`without_totp`), which the use case guards with a fresh sign-in."""
        if self.has_second_factor:
            raise InvalidState("a TOTP authenticator is already set up; remove it first")
        return replace(self, totp=TotpEnrolment(secret=secret))

    def with_totp_confirmed(self, step: int, now: datetime) -> LocalCredentials:
        """The unconfirmed authenticator confirmed at `now` by a good code of time `step`."""
        if self.totp is None or self.totp.is_confirmed:
            raise InvalidState("no TOTP authenticator waits for confirmation")
        return replace(self, totp=replace(self.totp, confirmed_at=now, last_used_step=step))

    def with_totp_step(self, step: int) -> LocalCredentials:
        """A good code of time `step` used to sign in; refused if that step or a later one was used."""
        if self.totp is None or not self.totp.is_confirmed:
            raise InvalidState("no TOTP authenticator is set up")
        if not self.totp.accepts_step(step):
            raise InvalidState("this TOTP code was already used")
        return replace(self, totp=replace(self.totp, last_used_step=step))

    def without_totp(self) -> LocalCredentials:
        """The authenticator removed, and with it the recovery codes that stood in for it."""
        return replace(self, totp=None, recovery_code_hashes=())

    # -- recovery codes --------------------------------------------------------------------

    def with_recovery_codes(self, code_hashes: tuple[str, ...]) -> LocalCredentials:
        """A fresh set of recovery codes (their hashes); the old ones stop working."""
        return replace(self, recovery_code_hashes=tuple(code_hashes))

    def has_recovery_code(self, code_hash: str) -> bool:
        """Whether `code_hash` is the hash of an unused recovery code."""
        # Every stored hash is compared in full, so the time taken tells nothing of which matched.
        found = False
        for stored in self.recovery_code_hashes:
            found |= hmac.compare_digest(stored.encode(), code_hash.encode())
        return found

    def with_recovery_code_used(self, code_hash: str) -> LocalCredentials:
        """The recovery code of hash `code_hash` used up; refused if it is not an unused one."""
        if not self.has_recovery_code(code_hash):
            raise InvalidState("this recovery code is not valid or was already used")
        return replace(
            self, recovery_code_hashes=tuple(h for h in self.recovery_code_hashes if h != code_hash)
        )
