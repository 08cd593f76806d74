"""The ports a local sign-in (without SSO) leans on: password hashing, TOTP codes, recovery
codes, and the shape every second factor takes.

The rules (lockout, replay of a code, single use of a recovery code, the password policy) are
the domain's, in `undersign.domain.local_credentials`; these ports do the work the domain may
not: hashing, randomness and reading a code against the time. All of them are synchronous and
CPU-bound; `PasswordHasher` is slow on purpose, so a use case runs it off the event loop.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from undersign.domain.local_credentials import LocalCredentials


class PasswordHasher(Protocol):
    """Hashes passwords for storage with a slow, memory-hard function (Argon2id).

    `hash` returns a self-describing string (algorithm, parameters and salt included) that
    `verify` and `needs_rehash` read back. `verify` answers False for a wrong password and for
    a hash it cannot read; it never raises on either. `needs_rehash` is True when the hash was
    made with other parameters than those in force: after a successful sign-in the use case
    hashes the password again and stores it. Each call takes tens of milliseconds of CPU and
    tens of MiB: call `hash` and `verify` in a worker thread (`asyncio.to_thread`), never
    on the event loop.
    """

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class TotpCodes(Protocol):
    """Time-based one-time codes (RFC 6238): six digits, SHA-1, 30-second steps, what every
    authenticator app speaks.

    `new_secret` makes a random 160-bit secret, base32 without padding. `provisioning_uri` is
    the `otpauth://totp/...` URI an app scans as a QR code; `account` is how the user is named
    in the app (their email), `issuer` the service (the tenant's display name). `matching_step`
    checks `code` against the steps around `at` (one before, the one of `at`, one after, for
    clocks that drift) and returns the step whose code it is, or None: a code that is not six
    digits, or matches none of them. Comparisons are constant-time. The caller passes the step
    to `LocalCredentials.with_totp_step`, which refuses a step already used.
    """

    def new_secret(self) -> str: ...

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str: ...

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None: ...


class RecoveryCodes(Protocol):
    """One-use codes a user keeps on paper for when their authenticator is lost.

    `new_codes(n)` makes `n` distinct random codes of at least 60 bits each, written for people
    (`xxxx-xxxx-xxxx`); they are shown once and only their hashes are stored. `normalise`
    takes what a person typed to the form the codes were made in (case, spaces, dashes and
    letters that look like digits do not matter); `hash` normalises, then hashes, so the hash
    of a typed code equals the stored hash of the code it means.
    """

    def new_codes(self, n: int = 10) -> list[str]: ...

    def normalise(self, code: str) -> str: ...

    def hash(self, code: str) -> str: ...


class SecondFactorKind(StrEnum):
    """The ways to pass the second step of a sign-in. The values are stored and sent to the
    client, which shows the matching form."""

    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    # WEBAUTHN = "webauthn"  (a passkey or security key) comes with its own SecondFactor


class SecondFactor(Protocol):
    """One way to pass the second step of a sign-in, after a good password.

    The step may take a challenge: the use case calls `challenge` when it asks for the second
    step, keeps what it returns with the half-done sign-in (server-side, never trusting the
    client to bring it back) and hands it to `verify` with the user's answer. TOTP and
    recovery codes need none (`challenge` returns None); WebAuthn returns the options for
    `navigator.credentials.get()` as JSON, and its answer is the assertion as JSON.

    `verify` returns the credentials as they stand after a good answer (the TOTP step
    recorded, the recovery code used up, later a passkey's signature counter moved on) for the
    use case to store, or None when the answer is not good. It raises nothing for a bad
    answer, and does not count failures: the use case calls `after_failure` or
    `after_success` whatever the factor. `is_enrolled` says whether this user can use it.
    """

    @property
    def kind(self) -> SecondFactorKind: ...

    def is_enrolled(self, credentials: LocalCredentials) -> bool: ...

    def challenge(self, credentials: LocalCredentials) -> str | None: ...

    def verify(
        self, credentials: LocalCredentials, *, challenge: str | None, response: str, at: datetime
    ) -> LocalCredentials | None: ...
