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

Every failure counts against the account (domain/local_credentials.py: locked after 5, for 15
minutes, doubling up to 4 hours) and, as a 401, against the client's address (the HTTP edge's
throttle). Each failure, lock and success is an act in the tenant's audit log; what was typed
never is. Changes to a user's credentials are compare-and-set: of two sign-ins racing with one
code, one wins.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from undersign.application.access.audit_log import record_act
from undersign.application.access.credential_ports import PasswordHasher, RecoveryCodes, TotpCodes
from undersign.application.access.identity_ports import SignInRejected
from undersign.application.access.ports import StoredCredentials
from undersign.application.access.sign_ins import SignIns, StartedSession
from undersign.application.shared.errors import TooManyRequests
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.local_credentials import LocalCredentials, check_new_password
from undersign.domain.tenant_events import AccountLocked, LocalPasswordSet, SignInFailed
from undersign.domain.user import User, normalize_user_email
from undersign.domain.web_session import SessionTimeouts

PENDING_LIFETIME = timedelta(minutes=5)
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
    user_id: str
    tenant_id: str
    at: datetime
    enrolling_secret: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps({
            "user_id": self.user_id, "tenant_id": self.tenant_id, "at": self.at.isoformat(),
            "enrolling_secret": self.enrolling_secret,
        }).encode()  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> _Pending:
        try:
            fields = json.loads(data)
            return cls(
                user_id=str(fields["user_id"]), tenant_id=str(fields["tenant_id"]),
                at=datetime.fromisoformat(fields["at"]), enrolling_secret=fields.get("enrolling_secret"),
            )
        except (ValueError, KeyError, TypeError):
            raise SignInRejected("bad_pending", "this sign-in was not started here: start again") from None


class LocalSignIns:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, sign_ins: SignIns, *, passwords: PasswordHasher,
        totp: TotpCodes, recovery_codes: RecoveryCodes,
    ) -> None:
        self._uow, self._clock, self._sign_ins = uow, clock, sign_ins
        self._passwords, self._totp, self._recovery = passwords, totp, recovery_codes

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

    async def sign_in(self, slug: str, email: str, password: str) -> SignedIn | SecondFactorNeeded:
        async with self._uow() as uow:
            user = await _user(uow, slug, email)
            stored = await uow.local_credentials.get(user.id) if user is not None else None
            tenant = await uow.tenants.by_slug(slug)
        now = self._clock.now()
        if stored is not None and stored.credentials.is_locked(now):
            raise _locked(stored.credentials, now)
        password_hash = stored.credentials.password_hash if stored else None
        good = await asyncio.to_thread(self._passwords.verify, password_hash or self._stand_in_hash, password)
        if user is None or stored is None or password_hash is None or not user.active:
            raise SignInRejected("bad_password", _REFUSED)
        if not good:
            await self._failed(user, "bad_password")
            raise SignInRejected("bad_password", _REFUSED)
        credentials = stored.credentials
        if credentials.has_second_factor or (tenant is not None and tenant.require_mfa):
            pending = _Pending(user_id=user.id, tenant_id=user.tenant_id, at=now)
            return SecondFactorNeeded(pending=pending.to_bytes(), enrol=not credentials.has_second_factor)
        return SignedIn(started=await self._succeed(user, stored, credentials, method=PASSWORD))

    async def enrol(self, pending: bytes) -> TotpSetup:
        """A new authenticator for the user of this pending sign-in (one who has none)."""
        started = self._live(pending)
        async with self._uow() as uow:
            user = await uow.users.get(started.tenant_id, started.user_id)
            stored = await uow.local_credentials.get(started.user_id)
        if user is None or stored is None or stored.credentials.has_second_factor:
            raise SignInRejected("bad_pending", "this sign-in cannot set up an authenticator: start again")
        secret = self._totp.new_secret()
        uri = self._totp.provisioning_uri(secret, user.email, TOTP_ISSUER)
        moved_on = _Pending(user_id=user.id, tenant_id=user.tenant_id, at=started.at, enrolling_secret=secret)
        return TotpSetup(otpauth_uri=uri, pending=moved_on.to_bytes())

    async def second_factor(self, pending: bytes, code: str) -> SignedIn:
        started = self._live(pending)
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(started.tenant_id, started.user_id)
            stored = await uow.local_credentials.get(started.user_id)
        if user is None or stored is None or not user.active:
            raise SignInRejected("bad_pending", "this sign-in was not started here: start again")
        if stored.credentials.is_locked(now):
            raise _locked(stored.credentials, now)
        credentials, new_codes = self._checked(stored.credentials, started, code, now)
        if credentials is None:
            await self._failed(user, "bad_second_factor")
            raise SignInRejected("bad_second_factor", "the code is not right, or was used already")
        return SignedIn(
            started=await self._succeed(user, stored, credentials, method=f"{PASSWORD}+totp"),
            recovery_codes=tuple(new_codes),
        )

    # -- the parts ---------------------------------------------------------------------------

    @cached_property
    def _stand_in_hash(self) -> str:
        # Checked when there is no password to check, so that costs the same (made once, lazily).
        return self._passwords.hash("a stand-in that matches no password anyone types")

    def _live(self, pending: bytes) -> _Pending:
        started = _Pending.from_bytes(pending)
        if not timedelta(0) <= self._clock.now() - started.at <= PENDING_LIFETIME:
            raise SignInRejected("expired", "this sign-in took too long: start again")
        return started

    def _checked(
        self, credentials: LocalCredentials, started: _Pending, code: str, now: datetime
    ) -> tuple[LocalCredentials | None, list[str]]:
        """The credentials after `code` is used, and new recovery codes if it confirmed an enrolment;
        (None, []) if the code is not good."""
        if started.enrolling_secret is not None:
            step = self._totp.matching_step(started.enrolling_secret, code, now)
            if step is None or credentials.has_second_factor:
                return None, []
            codes = self._recovery.new_codes(RECOVERY_CODE_COUNT)
            enrolled = credentials.with_totp_enrolled(started.enrolling_secret).with_totp_confirmed(step, now)
            return enrolled.with_recovery_codes(tuple(self._recovery.hash(c) for c in codes)), codes
        if credentials.totp is not None and credentials.has_second_factor:
            step = self._totp.matching_step(credentials.totp.secret, code, now)
            if step is not None and credentials.totp.accepts_step(step):
                return credentials.with_totp_step(step), []
        code_hash = self._recovery.hash(code)
        if credentials.has_recovery_code(code_hash):
            return credentials.with_recovery_code_used(code_hash), []
        return None, []

    async def _succeed(
        self, user: User, stored: StoredCredentials, credentials: LocalCredentials, *, method: str
    ) -> StartedSession:
        async with self._uow() as uow:
            await uow.local_credentials.save(user.id, credentials.after_success(), expected_version=stored.version)
            started = await self._sign_ins.start_session(uow, user, method=method)
            await uow.commit()  # a ConcurrencyConflict here: another sign-in used these credentials first
        return started

    async def _failed(self, user: User, reason: str) -> None:
        async def attempt() -> None:
            now = self._clock.now()
            async with self._uow() as uow:
                stored = await uow.local_credentials.get(user.id)
                if stored is None:
                    return
                after = stored.credentials.after_failure(now)
                await uow.local_credentials.save(user.id, after, expected_version=stored.version)
                await record_act(uow, SignInFailed(
                    tenant_id=user.tenant_id, at=now, actor=f"user:{user.id}", user_id=user.id, reason=reason
                ))
                if after.locked_until != stored.credentials.locked_until and after.locked_until is not None:
                    await record_act(uow, AccountLocked(
                        tenant_id=user.tenant_id, at=now, actor=f"user:{user.id}", user_id=user.id,
                        until=after.locked_until.isoformat(),
                    ))
                await uow.commit()

        await retry_on_conflict(attempt)


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

