"""Local sign-in: a user of a tenant with a password of their own, and a TOTP second factor.

For tenants whose people do not come through an identity provider. The steps:

1. `sign_in(tenant, email, password)`. A locked account is refused before the password is
   looked at (TooManyRequests, with when to try again). A wrong password, or an address the
   tenant has no user of, is the same refusal, after the same Argon2id work (a stand-in hash
   is checked when there is no user), so neither the answer nor its time tells which it was.
   When the user has a confirmed authenticator, or the tenant requires one, the answer is a
   `SecondFactorNeeded` instead of a session: what the browser must bring back to the next step
   (the HTTP layer seals it into a cookie), valid for PENDING_LIFETIME.
2. `enrol(pending)`, when the tenant requires a second factor the user has not set up: a new
   TOTP secret, shown once as an otpauth:// URI, carried on in the pending sign-in.
3. `second_factor(pending, code)`: a TOTP code (each time step works once, so a code seen over
   a shoulder is spent), or a recovery code (each works once). A first good code confirms an
   enrolment and hands out ten recovery codes, shown once. Then the session starts.

Every attempt counts against the account before it is checked (domain/local_credentials.py:
locked after 5 in a row, for 15 minutes, doubling up to 4 hours; a complete sign-in starts the
count again), so guesses sent at once are counted all the same, and a password step that leads
to a second step stays counted until that step succeeds. A failure is also, as a 401, counted
against the client's address (the HTTP edge's throttle); at most MAX_PASSWORD_CHECKS Argon2id
checks run at once per process. Each failure, lock and success is an act in the tenant's audit
log; what was typed never is. Changes to a user's credentials are compare-and-set: of two
sign-ins racing with one code, one wins, and the other is refused like a wrong code (never a
409, which would tell a right answer from a wrong one). A pending second step is used once, and
only while the password is the one it was made with.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property

from undersign.application.access.audit_log import record_act
from undersign.application.access.credential_ports import PasswordHasher, RecoveryCodes, TotpCodes
from undersign.application.access.identity_ports import OneTimeIds, SignInRejected
from undersign.application.access.sign_ins import SignIns, StartedSession
from undersign.application.shared.errors import TooManyRequests
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.errors import ConcurrencyConflict, InvalidInput, InvalidState, NotFound
from undersign.domain.local_credentials import LocalCredentials, check_new_password
from undersign.domain.tenant_events import AccountLocked, LocalPasswordSet, SecondFactorReset, SignInFailed
from undersign.domain.user import User, normalize_user_email
from undersign.domain.web_session import SessionTimeouts

PENDING_LIFETIME = timedelta(minutes=5)
MAX_PASSWORD_CHECKS = 4  # Argon2id checks at once per process (64 MiB each)
RECOVERY_CODE_COUNT = 10
PASSWORD = "password"
TOTP_ISSUER = "Undersign"
_REFUSED = "the email address or the password is not right"


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondFactorNeeded:
    pending: bytes  # what the browser brings back to the next step
    enrol: bool  # the tenant requires a second factor the user has not set up yet


@dataclass(frozen=True, slots=True, kw_only=True)
class TotpSetup:
    otpauth_uri: str  # for the authenticator app (as a QR code, or typed): holds the secret, shown once
    pending: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedIn:
    started: StartedSession
    recovery_codes: tuple[str, ...] = ()  # new ones, when this sign-in confirmed an enrolment: shown once


@dataclass(frozen=True, slots=True, kw_only=True)
class _Pending:
    """A sign-in whose password was right, waiting for its second step: used once (`id`), and only
    while the password is still the one it was made with (`password`: a fingerprint of its hash)."""

    id: str
    user_id: str
    tenant_id: str
    at: datetime
    password: str
    enrolling_secret: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps({
            "id": self.id, "user_id": self.user_id, "tenant_id": self.tenant_id, "at": self.at.isoformat(),
            "password": self.password, "enrolling_secret": self.enrolling_secret,
        }).encode()  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> _Pending:
        try:
            fields = json.loads(data)
            return cls(
                id=str(fields["id"]), user_id=str(fields["user_id"]), tenant_id=str(fields["tenant_id"]),
                at=datetime.fromisoformat(fields["at"]), password=str(fields["password"]),
                enrolling_secret=fields.get("enrolling_secret"),
            )
        except (ValueError, KeyError, TypeError):
            raise SignInRejected("bad_pending", "this sign-in was not started here: start again") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reserved:
    """An attempt counted: the credentials before it, and as counted (a lock it set included)."""

    before: LocalCredentials
    counted: LocalCredentials


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def _same_password(credentials: LocalCredentials, started: _Pending) -> bool:
    current = credentials.password_hash
    return current is not None and hmac.compare_digest(_fingerprint(current), started.password)


class LocalSignIns:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, sign_ins: SignIns, *,
        passwords: PasswordHasher, totp: TotpCodes, recovery_codes: RecoveryCodes, one_time_ids: OneTimeIds,
    ) -> None:
        self._uow, self._clock, self._ids, self._sign_ins = uow, clock, ids, sign_ins
        self._passwords, self._totp, self._recovery = passwords, totp, recovery_codes
        self._one_time_ids = one_time_ids
        self._checks = asyncio.Semaphore(MAX_PASSWORD_CHECKS)

    @property
    def session_timeouts(self) -> SessionTimeouts:
        return self._sign_ins.timeouts

    async def set_password(self, slug: str, email: str, password: str, *, actor: str) -> User:
        """An operator sets a user's password (the user then signs in with it); a lock is lifted."""
        check_new_password(password)
        password_hash = await asyncio.to_thread(self._passwords.hash, password)

        async def attempt() -> User:
            async with self._uow() as uow:
                user = await _user(uow, slug, email)
                if user is None:
                    raise NotFound(f"tenant {slug!r} has no user {email!r}")
                stored = await uow.local_credentials.get(user.id)
                credentials = stored.credentials if stored else LocalCredentials()
                await uow.local_credentials.save(
                    user.id, credentials.with_password_hash(password_hash).after_success(),
                    expected_version=stored.version if stored else None,
                )
                await record_act(uow, LocalPasswordSet(
                    tenant_id=user.tenant_id, at=self._clock.now(), actor=actor, user_id=user.id
                ))
                await uow.commit()
            return user

        return await retry_on_conflict(attempt)

    async def reset_second_factor(self, slug: str, email: str, *, actor: str) -> User:
        """An operator removes a user's authenticator and recovery codes (a lost phone): their next
        sign-in sets one up again where the tenant requires it. A lock is lifted too."""

        async def attempt() -> User:
            async with self._uow() as uow:
                user = await _user(uow, slug, email)
                stored = await uow.local_credentials.get(user.id) if user is not None else None
                if user is None or stored is None:
                    raise NotFound(f"tenant {slug!r} has no user {email!r} who signs in with a password")
                await uow.local_credentials.save(
                    user.id, stored.credentials.without_totp().after_success(), expected_version=stored.version
                )
                await record_act(uow, SecondFactorReset(
                    tenant_id=user.tenant_id, at=self._clock.now(), actor=actor, user_id=user.id
                ))
                await uow.commit()
            return user

        return await retry_on_conflict(attempt)

    async def sign_in(self, slug: str, email: str, password: str) -> SignedIn | SecondFactorNeeded:
        async with self._uow() as uow:
            user = await _user(uow, slug, email)
            tenant = await uow.tenants.by_slug(slug)
        reserved = await self._attempt(user.id) if user is not None else None
        password_hash = reserved.before.password_hash if reserved else None
        good = await self._verify(password_hash or self._stand_in_hash, password)
        if user is None or reserved is None or password_hash is None or not user.active:
            raise SignInRejected("bad_password", _REFUSED)
        if not good:
            await self._failed(user, reserved, "bad_password")
            raise SignInRejected("bad_password", _REFUSED)
        if reserved.before.has_second_factor or (tenant is not None and tenant.require_mfa):
            # The attempt stays counted until the second step succeeds: knowing the password does not
            # buy more guesses at the code.
            pending = _Pending(
                id=self._ids.new_id(), user_id=user.id, tenant_id=user.tenant_id, at=self._clock.now(),
                password=_fingerprint(password_hash),
            )
            return SecondFactorNeeded(pending=pending.to_bytes(), enrol=not reserved.before.has_second_factor)
        return SignedIn(started=await self._succeed(user, lambda credentials: credentials, method=PASSWORD))

    async def enrol(self, pending: bytes) -> TotpSetup:
        """A new authenticator for the user of this pending sign-in: one who has none, of a tenant that
        requires one."""
        started = self._live(pending)
        async with self._uow() as uow:
            user = await uow.users.get(started.tenant_id, started.user_id)
            stored = await uow.local_credentials.get(started.user_id)
            tenant = await uow.tenants.get(started.tenant_id)
        if (
            user is None or stored is None or tenant is None or not tenant.require_mfa
            or stored.credentials.has_second_factor or not _same_password(stored.credentials, started)
        ):
            raise SignInRejected("bad_pending", "this sign-in cannot set up an authenticator: start again")
        secret = self._totp.new_secret()
        uri = self._totp.provisioning_uri(secret, user.email, TOTP_ISSUER)
        return TotpSetup(otpauth_uri=uri, pending=replace(started, enrolling_secret=secret).to_bytes())

    async def second_factor(self, pending: bytes, code: str) -> SignedIn:
        started = self._live(pending)
        async with self._uow() as uow:
            user = await uow.users.get(started.tenant_id, started.user_id)
        reserved = await self._attempt(started.user_id) if user is not None else None
        if user is None or reserved is None or not user.active or not _same_password(reserved.before, started):
            raise SignInRejected("bad_pending", "this sign-in was not started here: start again")
        now = self._clock.now()
        checked = self._checked(reserved.before, started, code, now)
        if checked is None:
            await self._failed(user, reserved, "bad_second_factor")
            raise SignInRejected("bad_second_factor", "the code is not right, or was used already")
        use, new_codes = checked
        if not await self._one_time_ids.claim(f"password-sign-in:{started.id}", until=started.at + PENDING_LIFETIME):
            raise SignInRejected("replayed", "this sign-in was completed already: start again")
        return SignedIn(
            started=await self._succeed(user, use, method=f"{PASSWORD}+totp"), recovery_codes=tuple(new_codes)
        )

    # -- the parts ---------------------------------------------------------------------------

    @cached_property
    def _stand_in_hash(self) -> str:
        # Checked when there is no password to check, so that costs the same (made once, lazily).
        return self._passwords.hash("a stand-in that matches no password anyone types")

    async def _verify(self, password_hash: str, password: str) -> bool:
        """Argon2id in a worker thread, at most MAX_PASSWORD_CHECKS at once per process: each costs 64 MiB
        and a CPU for a while, so a burst of sign-ins is told to wait rather than allowed to starve the rest."""
        if self._checks.locked():
            raise TooManyRequests("too many sign-ins at once: try again in a moment", retry_after_seconds=1)
        async with self._checks:
            return await asyncio.to_thread(self._passwords.verify, password_hash, password)

    async def _attempt(self, user_id: str) -> _Reserved | None:
        """Count an attempt before it is checked (compare-and-set): of guesses sent at once, each is
        counted, and once the count locks the account, the rest are refused before any check (the
        success that follows resets the count). None: the user has no local credentials."""

        async def reserve() -> _Reserved | None:
            now = self._clock.now()
            async with self._uow() as uow:
                stored = await uow.local_credentials.get(user_id)
                if stored is None:
                    return None
                if stored.credentials.is_locked(now):
                    raise _locked(stored.credentials, now)
                counted = stored.credentials.after_failure(now)
                await uow.local_credentials.save(user_id, counted, expected_version=stored.version)
                await uow.commit()
            return _Reserved(before=stored.credentials, counted=counted)

        return await retry_on_conflict(reserve)

    def _live(self, pending: bytes) -> _Pending:
        started = _Pending.from_bytes(pending)
        if not timedelta(0) <= self._clock.now() - started.at <= PENDING_LIFETIME:
            raise SignInRejected("expired", "this sign-in took too long: start again")
        return started

    def _checked(
        self, credentials: LocalCredentials, started: _Pending, code: str, now: datetime
    ) -> tuple[Callable[[LocalCredentials], LocalCredentials], list[str]] | None:
        """What using `code` does to the credentials (applied to them as stored when the sign-in is
        written: a step or a recovery code another sign-in used meanwhile is refused then), and new
        recovery codes if it confirms an enrolment; None if the code is not good."""
        if started.enrolling_secret is not None:
            step = self._totp.matching_step(started.enrolling_secret, code, now)
            if step is None or credentials.has_second_factor:
                return None
            codes = self._recovery.new_codes(RECOVERY_CODE_COUNT)
            hashes = tuple(self._recovery.hash(c) for c in codes)
            secret = started.enrolling_secret
            return (lambda c: c.with_totp_enrolled(secret).with_totp_confirmed(step, now).with_recovery_codes(hashes)), codes
        if credentials.totp is not None and credentials.has_second_factor:
            step = self._totp.matching_step(credentials.totp.secret, code, now)
            if step is not None and credentials.totp.accepts_step(step):
                return (lambda c: c.with_totp_step(step)), []
        code_hash = self._recovery.hash(code)
        if credentials.has_recovery_code(code_hash):
            return (lambda c: c.with_recovery_code_used(code_hash)), []
        return None

    async def _succeed(
        self, user: User, use: Callable[[LocalCredentials], LocalCredentials], *, method: str
    ) -> StartedSession:
        """The session, with the credentials as `use` leaves them and their count of failures reset."""

        async def write() -> StartedSession:
            async with self._uow() as uow:
                stored = await uow.local_credentials.get(user.id)
                if stored is None:
                    raise SignInRejected("bad_password", _REFUSED)
                try:
                    credentials = use(stored.credentials).after_success()
                except InvalidState:  # the code was used by another sign-in meanwhile
                    raise SignInRejected("bad_second_factor", "the code is not right, or was used already") from None
                await uow.local_credentials.save(user.id, credentials, expected_version=stored.version)
                started = await self._sign_ins.start_session(uow, user, method=method)
                await uow.commit()
            return started

        try:
            return await retry_on_conflict(write)
        except ConcurrencyConflict:  # never a 409 here: it would tell a guess from the right answer
            raise SignInRejected("bad_password", _REFUSED) from None

    async def _failed(self, user: User, reserved: _Reserved, reason: str) -> None:
        """The attempt was counted before it was checked: what is left is the audit log."""
        now = self._clock.now()
        async with self._uow() as uow:
            await record_act(uow, SignInFailed(
                tenant_id=user.tenant_id, at=now, actor=f"user:{user.id}", user_id=user.id, reason=reason
            ))
            locked_until = reserved.counted.locked_until
            if locked_until is not None and locked_until != reserved.before.locked_until:
                await record_act(uow, AccountLocked(
                    tenant_id=user.tenant_id, at=now, actor=f"user:{user.id}", user_id=user.id,
                    until=locked_until.isoformat(),
                ))
            await uow.commit()


async def _user(uow: UnitOfWork, slug: str, email: str) -> User | None:
    tenant = await uow.tenants.by_slug(slug)
    if tenant is None:
        return None
    try:
        address = normalize_user_email(email)
    except InvalidInput:
        return None
    return await uow.users.by_email(tenant.id, address)


def _locked(credentials: LocalCredentials, now: datetime) -> TooManyRequests:
    assert credentials.locked_until is not None
    wait = max(1, int((credentials.locked_until - now).total_seconds()))
    return TooManyRequests("too many failed sign-ins: this account is locked for now", retry_after_seconds=wait)

