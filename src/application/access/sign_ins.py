"""People signing in through the tenant's identity provider, their browser sessions, and bearer tokens.

A sign-in ends with a `VerifiedSignIn` (an adapter checked the provider's answer: OIDC or
SAML). The person is the user their (issuer, subject) is linked to; failing that, the tenant's
user of that email, invited before, whom the link is then made for; failing that, when the
tenant allows just-in-time users, a new user. Anyone else is refused, and so is a disabled
user. When the provider's claims map to a role, the user's role follows it (the provider is
where the operator manages who is who). Each sign-in, and each refusal of someone the provider
vouched for, is an act in the tenant's audit log.

A session is a random token in an HttpOnly cookie; only its hash is stored. It ends at sign-out,
after `idle` without a request, or `absolute` after sign-in (domain/web_session.py). Its last
activity is written at most once per SEEN_INTERVAL, so a busy page does not turn every read
into a write.

A bearer token (a JWT from a configured issuer, checked by an adapter) is a caller without a
session: its role is what its claims map to, and when its subject is linked to a user, the
caller is that user (their teams, their envelopes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from undersign.application.access.audit_log import record_act
from undersign.application.access.identity_ports import (
    BearerTokenVerifier,
    SignInProvider,
    SignInRejected,
    TokenRejected,
    TokenRejection,
    VerifiedSignIn,
    VerifiedToken,
)
from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import Unauthenticated
from undersign.application.shared.loading import hash_token
from undersign.application.shared.ports import Clock, IdGenerator, SecretGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.errors import NotFound
from undersign.domain.tenant import AccessRole, Tenant
from undersign.domain.tenant_events import SignInRefused, UserRoleChanged, UserSignedIn
from undersign.domain.user import ExternalIdentity, User
from undersign.domain.web_session import SessionTimeouts, WebSession

SEEN_INTERVAL = timedelta(minutes=1)
DEFAULT_JUST_IN_TIME_ROLE = AccessRole.VIEWER  # a user made at first sign-in whose claims map no role


@dataclass(frozen=True, slots=True, kw_only=True)
class StartedSession:
    token: str  # the cookie's value: shown to the browser once, only its hash kept
    session: WebSession
    user: User


class SignIns:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, secrets: SecretGenerator, *,
        providers: Sequence[SignInProvider] = (), bearer_tokens: BearerTokenVerifier | None = None,
        timeouts: SessionTimeouts = SessionTimeouts(),
    ) -> None:
        self._uow, self._clock, self._ids, self._secrets, self._timeouts = uow, clock, ids, secrets, timeouts
        self._providers = {provider.key: provider for provider in providers}
        self._bearer_tokens = bearer_tokens

    @property
    def timeouts(self) -> SessionTimeouts:
        return self._timeouts

    async def begin(self, method: str) -> tuple[str, bytes]:
        """Where to send the browser to sign in with `method` (`oidc:<name>`, `saml:<name>`), and the
        pending sign-in it must bring back; NotFound for a provider that is not configured."""
        return await self._provider(method).begin()

    async def service_provider_metadata(self, method: str) -> bytes:
        """The metadata a provider publishes of us (SAML); NotFound for a provider that has none."""
        metadata = self._provider(method).metadata
        if metadata is None:
            raise NotFound(f"{method!r} publishes no metadata")
        return metadata

    async def finish(self, method: str, pending: bytes, answer: Mapping[str, str]) -> StartedSession:
        """The session of whom the provider's `answer` vouches for (see complete)."""
        verified = await self._provider(method).finish(pending, answer)
        return await self.complete(verified, method=method)

    async def caller_for_bearer_token(self, token: str) -> Caller:
        """The caller of a bearer JWT; TokenRejected when no issuer is configured or the token fails a check."""
        if self._bearer_tokens is None:
            raise TokenRejected(TokenRejection.WRONG_ISSUER, "this installation accepts no bearer tokens but API keys")
        return await self.caller_for_token(await self._bearer_tokens.verify(token))

    async def complete(self, verified: VerifiedSignIn, *, method: str) -> StartedSession:
        """The session of the person the provider vouched for; SignInRejected if the tenant does not let them in."""
        return await retry_on_conflict(lambda: self._complete(verified, method))

    async def authenticate(self, token: str) -> Caller:
        """The user behind a session's token; Unauthenticated if it is unknown, ended or timed out."""
        now = self._clock.now()
        async with self._uow() as uow:
            session = await uow.web_sessions.by_token_hash(hash_token(token))
            if session is None or not session.is_live(now, self._timeouts):
                raise Unauthenticated("your session has ended: sign in again")
            user = await uow.users.get(session.tenant_id, session.user_id)
            if user is None or not user.active:
                raise Unauthenticated("your session has ended: sign in again")
            if now - session.last_seen_at >= SEEN_INTERVAL:
                await uow.web_sessions.save(session.seen(now))
                await uow.commit()
        return Caller.of_user(user, credential_id=f"session:{session.id}")

    async def sign_out(self, token: str) -> None:
        """End the session of this token, if it is live; nothing happens otherwise."""
        async with self._uow() as uow:
            session = await uow.web_sessions.by_token_hash(hash_token(token))
            if session is not None and session.ended_at is None:
                await uow.web_sessions.save(session.ended(self._clock.now()))
                await uow.commit()

    async def caller_for_token(self, token: VerifiedToken) -> Caller:
        """The caller a verified bearer token stands for (see the module docstring)."""
        role = AccessRole(token.role_name)
        identity = ExternalIdentity(issuer=token.issuer, subject=token.subject)
        async with self._uow() as uow:
            tenant = await uow.tenants.by_slug(token.tenant_slug)
            if tenant is None:
                raise Unauthenticated("the token names no tenant of this installation")
            user = await uow.users.by_identity(identity)
        credential = f"token:{_identity_hash(identity)}"
        if user is None:
            return Caller(tenant_id=tenant.id, role=role, credential_id=credential, actor=credential)
        if user.tenant_id != tenant.id or not user.active:
            raise Unauthenticated("the token's subject is a disabled user, or one of another tenant")
        return Caller.of_user(user, credential_id=credential, role=role)

    # -- the parts ---------------------------------------------------------------------------

    def _provider(self, method: str) -> SignInProvider:
        provider = self._providers.get(method)
        if provider is None:
            raise NotFound(f"no identity provider {method!r} is configured")
        return provider

    async def _complete(self, verified: VerifiedSignIn, method: str) -> StartedSession:
        now = self._clock.now()
        identity = ExternalIdentity(issuer=verified.issuer, subject=verified.subject)
        role = AccessRole(verified.role_name) if verified.role_name else None
        if role is None and verified.maps_roles:
            role = DEFAULT_JUST_IN_TIME_ROLE  # out of every mapped group: what they held there is gone
        async with self._uow() as uow:
            tenant = await uow.tenants.by_slug(verified.tenant_slug)
            if tenant is None:
                raise SignInRejected("unknown_tenant", "this sign-in is for no tenant of this installation")
            user, created = await self._person(uow, tenant, identity, verified, role)
            if user is None or not user.active:
                reason = "disabled" if user is not None else "not_invited"
                await record_act(uow, SignInRefused(
                    tenant_id=tenant.id, at=now, actor=f"{method}:{_identity_hash(identity)}", method=method,
                    subject=_identity_hash(identity), reason=reason,
                ))
                await uow.commit()
                raise SignInRejected(reason, _REFUSALS[reason])
            if role is not None and role is not user.role:
                await record_act(uow, UserRoleChanged(
                    tenant_id=tenant.id, at=now, actor=method, user_id=user.id, old_role=user.role.value,
                    new_role=role.value,
                ))
                user = user.with_role(role)
                await uow.users.save(user)
            started = await self.start_session(uow, user, method=method, created_user=created)
            await uow.commit()
        return started

    async def start_session(self, uow: UnitOfWork, user: User, *, method: str, created_user: bool = False) -> StartedSession:
        """A new session for `user`, in `uow` (committed by the caller), and the sign-in in the tenant's log."""
        now = self._clock.now()
        token = self._secrets.new_secret()
        session = WebSession(
            id=self._ids.new_id(), tenant_id=user.tenant_id, user_id=user.id, token_hash=hash_token(token),
            method=method, created_at=now, last_seen_at=now,
        )
        await uow.web_sessions.add(session)
        await record_act(uow, UserSignedIn(
            tenant_id=user.tenant_id, at=now, actor=f"user:{user.id}", user_id=user.id, method=method,
            created_user=created_user,
        ))
        return StartedSession(token=token, session=session, user=user)

    async def _person(
        self, uow: UnitOfWork, tenant: Tenant, identity: ExternalIdentity, verified: VerifiedSignIn,
        role: AccessRole | None,
    ) -> tuple[User | None, bool]:
        """The user this identity is (linking an invited user by email, or making one); whether it was made."""
        user = await uow.users.by_identity(identity)
        if user is not None:
            return (user if user.tenant_id == tenant.id else None), False
        if verified.email is not None:
            user = await uow.users.by_email(tenant.id, verified.email.strip().lower())
            if user is not None:
                # Only an invitation not taken up: a user who signs in otherwise already (another
                # provider's subject, a password) is not handed to whoever a provider says has their address.
                if await uow.users.has_identity(user.id) or await uow.local_credentials.get(user.id) is not None:
                    return None, False
                await uow.users.link(user, identity)
                return user, False
        if not tenant.just_in_time_users or verified.email is None:
            return None, False
        user = User.invite(
            user_id=self._ids.new_id(), tenant_id=tenant.id, email=verified.email,
            name=verified.name or verified.email, role=role or DEFAULT_JUST_IN_TIME_ROLE, now=self._clock.now(),
        )
        await uow.users.add(user)
        await uow.users.link(user, identity)
        return user, True


_REFUSALS = {
    "not_invited": "you have no account here: ask an administrator to invite you",
    "disabled": "your account is disabled",
}


def _identity_hash(identity: ExternalIdentity) -> str:
    """A short, stable name of an identity for credentials and logs (a subject may be long, or personal)."""
    return hashlib.sha256(f"{identity.issuer}\0{identity.subject}".encode()).hexdigest()[:32]
