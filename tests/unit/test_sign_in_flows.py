"""Signing in through an identity provider, on fakes: the redirect, the answer, who is let in, sessions, tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.platform import FakePlatform
from undersign.application.access.identity_ports import (
    SignInRejected,
    TokenRejected,
    TokenRejection,
    VerifiedSignIn,
    VerifiedToken,
)
from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import Unauthenticated
from undersign.application.shared.loading import hash_token
from undersign.domain.errors import NotFound
from undersign.domain.tenant import AccessRole
from undersign.domain.user import ExternalIdentity, User

CORP = "https://login.acme.test"
OIDC, SAML = "oidc:corp", "saml:corp"
ANA = VerifiedSignIn(issuer=CORP, subject="sub-ana", tenant_slug="acme", email="ana@acme.test", name="Ana")
SP_METADATA = b"<EntityDescriptor entityID='https://undersign.example/saml'/>"
ENDED = "your session has ended: sign in again"


class FakeProvider:
    """An identity provider that vouches for `vouches` when brought back the pending sign-in it began."""

    def __init__(self, key: str, metadata: bytes | None = None) -> None:
        self.key, self.metadata = key, metadata
        self.vouches = ANA
        self.finished: list[tuple[bytes, dict[str, str]]] = []

    async def begin(self) -> tuple[str, bytes]:
        return f"https://idp.test/{self.key}/start", f"pending:{self.key}".encode()

    async def finish(self, pending: bytes, answer: Mapping[str, str]) -> VerifiedSignIn:
        self.finished.append((pending, dict(answer)))
        if pending != f"pending:{self.key}".encode():
            raise SignInRejected("state_mismatch", "not the answer to a sign-in we started")
        return self.vouches


class FakeTokenVerifier:
    def __init__(self) -> None:
        self.tokens: dict[str, VerifiedToken] = {}
        self.asked: list[str] = []

    async def verify(self, token: str) -> VerifiedToken:
        self.asked.append(token)
        if token not in self.tokens:
            raise TokenRejected(TokenRejection.BAD_SIGNATURE, "the token's signature does not verify")
        return self.tokens[token]


@pytest.fixture
def oidc(platform: FakePlatform) -> FakeProvider:
    provider = FakeProvider(OIDC)
    platform.sign_in_providers.append(provider)  # before the sign-in use case is first made
    return provider


@pytest.fixture
def saml(platform: FakePlatform) -> FakeProvider:
    provider = FakeProvider(SAML, metadata=SP_METADATA)
    platform.sign_in_providers.append(provider)
    return provider


@pytest.fixture
def verifier(platform: FakePlatform) -> FakeTokenVerifier:
    platform.bearer_tokens = FakeTokenVerifier()
    return platform.bearer_tokens


@pytest.fixture
async def acme(platform: FakePlatform) -> str:
    return (await platform.tenants.create("acme")).id


async def store(platform: FakePlatform, user: User, *identities: ExternalIdentity) -> User:
    async with platform.unit_of_work() as uow:
        if user.id in platform.db.users:
            await uow.users.save(user)
        else:
            await uow.users.add(user)
        for identity in identities:
            await uow.users.link(user, identity)
        await uow.commit()
    return user


async def invite(platform, tenant_id, email, role=AccessRole.SENDER, *identities: ExternalIdentity) -> User:
    user = User.invite(
        user_id=f"user-{email.split('@')[0]}-{tenant_id}", tenant_id=tenant_id, email=email, name="Someone", role=role,
        now=platform.clock.now(),
    )
    return await store(platform, user, *identities)


def identity_hash(issuer: str, subject: str) -> str:
    return hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:32]


def acts(platform, tenant_id, kind: str | None = None) -> list:
    return [e for e in platform.db.tenant_audit.get(tenant_id, []) if kind is None or e.type == kind]


def stored_session(platform, session_id):
    return platform.db.web_sessions[session_id]


# -- begin, metadata, finish ------------------------------------------------------------------


async def test_begin_sends_the_browser_to_the_provider_named(platform, oidc, saml):
    assert await platform.sign_ins.begin(OIDC) == ("https://idp.test/oidc:corp/start", b"pending:oidc:corp")
    assert await platform.sign_ins.begin(SAML) == ("https://idp.test/saml:corp/start", b"pending:saml:corp")
    with pytest.raises(NotFound, match="oidc:other"):
        await platform.sign_ins.begin("oidc:other")


async def test_no_provider_is_configured_unless_the_operator_names_one(platform):
    with pytest.raises(NotFound):
        await platform.sign_ins.begin(OIDC)
    with pytest.raises(NotFound):
        await platform.sign_ins.service_provider_metadata(SAML)


async def test_only_a_provider_with_metadata_publishes_it(platform, oidc, saml):
    assert await platform.sign_ins.service_provider_metadata(SAML) == SP_METADATA
    with pytest.raises(NotFound, match="publishes no metadata"):
        await platform.sign_ins.service_provider_metadata(OIDC)
    with pytest.raises(NotFound, match="no identity provider"):
        await platform.sign_ins.service_provider_metadata("saml:other")


async def test_finish_starts_a_session_for_whom_the_provider_vouches(platform, oidc, saml, acme):
    ana = await invite(platform, acme, "ana@acme.test")
    started = await platform.sign_ins.finish(OIDC, b"pending:oidc:corp", {"code": "c1", "state": "s1"})
    assert oidc.finished == [(b"pending:oidc:corp", {"code": "c1", "state": "s1"})] and saml.finished == []
    assert started.user == ana
    session = stored_session(platform, started.session.id)
    assert session == started.session
    assert (session.tenant_id, session.user_id, session.method) == (acme, ana.id, OIDC)
    assert session.token_hash == hash_token(started.token) and started.token not in session.token_hash
    assert session.created_at == session.last_seen_at == platform.clock.now() and session.ended_at is None
    [signed_in] = acts(platform, acme, "UserSignedIn")
    assert signed_in.actor == f"user:{ana.id}"
    assert signed_in.data == {"user_id": ana.id, "method": OIDC, "created_user": False}


async def test_finish_with_another_provider_is_that_providers_sign_in(platform, oidc, saml, acme):
    await invite(platform, acme, "ana@acme.test")
    started = await platform.sign_ins.finish(SAML, b"pending:saml:corp", {"SAMLResponse": "x"})
    assert started.session.method == SAML and oidc.finished == []


async def test_a_refused_answer_starts_nothing(platform, oidc, acme):
    await invite(platform, acme, "ana@acme.test")
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.finish(OIDC, b"pending:forged", {"state": "s1"})
    assert refused.value.reason == "state_mismatch" and refused.value.code == "sign_in_rejected"
    with pytest.raises(NotFound):
        await platform.sign_ins.finish("oidc:other", b"pending:oidc:corp", {})
    assert platform.db.web_sessions == {} and acts(platform, acme, "UserSignedIn") == []


# -- who is let in (complete, _person) ------------------------------------------------------


async def test_a_sign_in_for_no_tenant_is_refused_and_recorded_nowhere(platform, acme):
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.complete(replace(ANA, tenant_slug="globex"), method=OIDC)
    assert refused.value.reason == "unknown_tenant"
    assert str(refused.value) == "this sign-in is for no tenant of this installation"
    assert platform.db.web_sessions == {} and acts(platform, acme) == []


async def test_someone_not_invited_is_refused_and_the_refusal_recorded(platform, acme):
    with pytest.raises(SignInRejected, match="ask an administrator to invite you") as refused:
        await platform.sign_ins.complete(ANA, method=OIDC)
    assert refused.value.reason == "not_invited"
    subject = identity_hash(CORP, "sub-ana")
    [refusal] = acts(platform, acme)
    assert refusal.type == "SignInRefused" and refusal.actor == f"{OIDC}:{subject}"
    assert refusal.data == {"method": OIDC, "subject": subject, "reason": "not_invited"}
    assert platform.db.users == {} and platform.db.identities == {} and platform.db.web_sessions == {}


async def test_a_disabled_user_is_refused_and_the_refusal_recorded(platform, acme):
    identity = ExternalIdentity(issuer=CORP, subject="sub-ana")
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.SENDER, identity)
    await store(platform, ana.disabled(platform.clock.now()))
    with pytest.raises(SignInRejected, match="your account is disabled") as refused:
        await platform.sign_ins.complete(replace(ANA, role_name="admin"), method=SAML)
    assert refused.value.reason == "disabled"
    [refusal] = acts(platform, acme)
    assert refusal.data == {"method": SAML, "subject": identity_hash(CORP, "sub-ana"), "reason": "disabled"}
    assert platform.db.users[ana.id].role is AccessRole.SENDER and platform.db.web_sessions == {}


async def test_a_disabled_invitation_is_not_taken_up_by_email(platform, acme):
    ana = await invite(platform, acme, "ana@acme.test")
    await store(platform, ana.disabled(platform.clock.now()))
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.complete(ANA, method=OIDC)
    assert refused.value.reason == "disabled"


async def test_an_invitation_taken_up_by_another_identity_is_not_handed_over(platform, acme):
    first = ExternalIdentity(issuer=CORP, subject="sub-1")
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.SENDER, first)
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.complete(replace(ANA, subject="sub-2"), method=OIDC)
    assert refused.value.reason == "not_invited"
    assert platform.db.identities == {first: ana.id}


async def test_an_invitation_with_a_password_is_not_handed_to_a_provider(platform, acme):
    ana = await invite(platform, acme, "ana@acme.test")
    await platform.local_sign_ins.set_password("acme", "ana@acme.test", "correct horse battery", actor="cli:root")
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.complete(ANA, method=OIDC)
    assert refused.value.reason == "not_invited" and platform.db.identities == {}
    assert platform.db.users[ana.id] == ana


async def test_a_linked_identity_is_its_user_whatever_email_the_provider_sends(platform, acme):
    identity = ExternalIdentity(issuer=CORP, subject="sub-ana")
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.SENDER, identity)
    await invite(platform, acme, "bob@acme.test")
    started = await platform.sign_ins.complete(replace(ANA, email="bob@acme.test"), method=OIDC)
    assert started.user.id == ana.id
    assert list(platform.db.identities.items()) == [(identity, ana.id)]


async def test_an_identity_linked_in_another_tenant_is_nobody_here(platform, acme):
    globex = (await platform.tenants.create("globex")).id
    identity = ExternalIdentity(issuer=CORP, subject="sub-ana")
    await invite(platform, globex, "ana@acme.test", AccessRole.ADMIN, identity)
    await invite(platform, acme, "ana@acme.test")  # not handed over: the identity is someone of globex
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.complete(ANA, method=OIDC)
    assert refused.value.reason == "not_invited"
    assert [e.type for e in acts(platform, acme)] == ["SignInRefused"] and acts(platform, globex) == []


async def test_an_invitation_is_found_by_its_address_in_any_case_and_linked(platform, acme):
    ana = await invite(platform, acme, "ana@acme.test")
    started = await platform.sign_ins.complete(replace(ANA, email="  ANA@Acme.Test "), method=OIDC)
    assert started.user.id == ana.id
    assert platform.db.identities == {ExternalIdentity(issuer=CORP, subject="sub-ana"): ana.id}
    assert acts(platform, acme, "UserSignedIn")[0].data["created_user"] is False


async def test_an_invitation_of_another_tenant_lets_nobody_in_here(platform, acme):
    globex = (await platform.tenants.create("globex")).id
    await invite(platform, globex, "ana@acme.test")
    with pytest.raises(SignInRejected):
        await platform.sign_ins.complete(ANA, method=OIDC)
    assert platform.db.identities == {}


async def test_without_just_in_time_users_a_stranger_is_not_made_a_user(platform, acme):
    with pytest.raises(SignInRejected):
        await platform.sign_ins.complete(replace(ANA, role_name="admin"), method=OIDC)
    assert platform.db.users == {}


async def test_with_just_in_time_users_a_stranger_becomes_a_viewer_at_first_sign_in(platform, acme):
    await platform.tenants.set_sign_in_policy("acme", just_in_time_users=True, actor="cli:root")
    started = await platform.sign_ins.complete(replace(ANA, email="Ana@Acme.test"), method=OIDC)
    user = started.user
    assert platform.db.users == {user.id: user}
    assert (user.tenant_id, user.email, user.name, user.role) == (acme, "ana@acme.test", "Ana", AccessRole.VIEWER)
    assert user.created_at == platform.clock.now()
    assert platform.db.identities == {ExternalIdentity(issuer=CORP, subject="sub-ana"): user.id}
    [signed_in] = acts(platform, acme, "UserSignedIn")
    assert signed_in.data == {"user_id": user.id, "method": OIDC, "created_user": True}
    assert acts(platform, acme, "UserRoleChanged") == []
    again = await platform.sign_ins.complete(ANA, method=OIDC)  # the second time, the link finds them
    assert again.user.id == user.id and len(platform.db.users) == 1
    assert acts(platform, acme, "UserSignedIn")[-1].data["created_user"] is False


async def test_a_just_in_time_user_takes_the_mapped_role_and_their_email_as_name_when_none_is_given(platform, acme):
    await platform.tenants.set_sign_in_policy("acme", just_in_time_users=True, actor="cli:root")
    started = await platform.sign_ins.complete(replace(ANA, name=None, role_name="sender"), method=OIDC)
    assert (started.user.name, started.user.role) == ("ana@acme.test", AccessRole.SENDER)
    assert acts(platform, acme, "UserRoleChanged") == []


async def test_a_just_in_time_user_of_a_provider_that_maps_roles_but_none_here_is_a_viewer(platform, acme):
    await platform.tenants.set_sign_in_policy("acme", just_in_time_users=True, actor="cli:root")
    started = await platform.sign_ins.complete(replace(ANA, maps_roles=True), method=OIDC)
    assert started.user.role is AccessRole.VIEWER


async def test_no_user_is_made_for_a_provider_that_vouches_for_no_email(platform, acme):
    await platform.tenants.set_sign_in_policy("acme", just_in_time_users=True, actor="cli:root")
    with pytest.raises(SignInRejected) as refused:
        await platform.sign_ins.complete(replace(ANA, email=None), method=OIDC)
    assert refused.value.reason == "not_invited" and platform.db.users == {}


async def test_the_role_the_provider_maps_replaces_the_stored_one_and_is_recorded(platform, acme):
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.SENDER)
    started = await platform.sign_ins.complete(replace(ANA, role_name="admin"), method=SAML)
    assert started.user.role is AccessRole.ADMIN and platform.db.users[ana.id].role is AccessRole.ADMIN
    [changed] = acts(platform, acme, "UserRoleChanged")
    assert changed.actor == SAML
    assert changed.data == {"user_id": ana.id, "old_role": "sender", "new_role": "admin"}
    assert [e.type for e in acts(platform, acme)] == ["UserRoleChanged", "UserSignedIn"]

    await platform.sign_ins.complete(replace(ANA, role_name="admin"), method=SAML)  # the same role: no act
    assert len(acts(platform, acme, "UserRoleChanged")) == 1


async def test_out_of_every_mapped_group_a_user_is_a_viewer(platform, acme):
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.ADMIN)
    started = await platform.sign_ins.complete(replace(ANA, maps_roles=True), method=OIDC)
    assert started.user.role is AccessRole.VIEWER and platform.db.users[ana.id].role is AccessRole.VIEWER
    [changed] = acts(platform, acme, "UserRoleChanged")
    assert changed.data == {"user_id": ana.id, "old_role": "admin", "new_role": "viewer"}


async def test_a_mapped_role_is_kept_when_the_provider_maps_roles(platform, acme):
    await invite(platform, acme, "ana@acme.test", AccessRole.VIEWER)
    started = await platform.sign_ins.complete(replace(ANA, maps_roles=True, role_name="sender"), method=OIDC)
    assert started.user.role is AccessRole.SENDER
    [changed] = acts(platform, acme, "UserRoleChanged")
    assert (changed.data["old_role"], changed.data["new_role"]) == ("viewer", "sender")


async def test_a_provider_that_maps_no_roles_leaves_the_stored_role(platform, acme):
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.OWNER)
    started = await platform.sign_ins.complete(ANA, method=OIDC)
    assert started.user.role is AccessRole.OWNER and platform.db.users[ana.id].role is AccessRole.OWNER
    assert acts(platform, acme, "UserRoleChanged") == []


# -- sessions (authenticate, sign_out) --------------------------------------------------------


async def signed_in(platform, acme, role=AccessRole.SENDER):
    ana = await invite(platform, acme, "ana@acme.test", role)
    ana = await store(platform, ana.joined("team-1"))
    return ana, await platform.sign_ins.complete(ANA, method=OIDC)


async def test_a_sessions_token_is_its_users_caller(platform, acme):
    ana, started = await signed_in(platform, acme)
    caller = await platform.sign_ins.authenticate(started.token)
    assert caller == Caller(
        tenant_id=acme, role=AccessRole.SENDER, credential_id=f"session:{started.session.id}", actor=f"user:{ana.id}",
        user_id=ana.id, team_ids=frozenset({"team-1"}), kind="user",
    )


async def test_an_unknown_token_is_no_caller(platform, acme):
    await signed_in(platform, acme)
    with pytest.raises(Unauthenticated) as refused:
        await platform.sign_ins.authenticate("not-a-token")
    assert str(refused.value) == ENDED and refused.value.code == "unauthenticated"


async def test_a_session_ends_after_half_an_hour_without_a_request(platform, acme):
    _, started = await signed_in(platform, acme)
    platform.clock.advance(timedelta(minutes=29, seconds=59))
    await platform.sign_ins.authenticate(started.token)
    platform.clock.advance(timedelta(minutes=29, seconds=59))  # counted from the last request
    await platform.sign_ins.authenticate(started.token)
    platform.clock.advance(timedelta(minutes=30))
    with pytest.raises(Unauthenticated):
        await platform.sign_ins.authenticate(started.token)


async def test_a_session_ends_twelve_hours_after_sign_in_however_busy(platform, acme):
    _, started = await signed_in(platform, acme)
    for _ in range(35):  # 35 x 20 min = 11 h 40 min
        platform.clock.advance(timedelta(minutes=20))
        await platform.sign_ins.authenticate(started.token)
    platform.clock.advance(timedelta(minutes=19, seconds=59))
    await platform.sign_ins.authenticate(started.token)
    platform.clock.advance(timedelta(seconds=1))
    with pytest.raises(Unauthenticated):
        await platform.sign_ins.authenticate(started.token)


async def test_the_last_activity_is_written_at_most_once_a_minute(platform, acme):
    _, started = await signed_in(platform, acme)
    created = started.session.created_at
    platform.clock.advance(timedelta(seconds=59))
    await platform.sign_ins.authenticate(started.token)
    assert stored_session(platform, started.session.id).last_seen_at == created
    platform.clock.advance(timedelta(seconds=1))
    await platform.sign_ins.authenticate(started.token)
    assert stored_session(platform, started.session.id).last_seen_at == created + timedelta(minutes=1)
    assert stored_session(platform, started.session.id).created_at == created


async def test_a_disabled_or_vanished_users_session_is_no_caller(platform, acme):
    ana, started = await signed_in(platform, acme)
    await store(platform, platform.db.users[ana.id].disabled(platform.clock.now()))
    with pytest.raises(Unauthenticated) as refused:
        await platform.sign_ins.authenticate(started.token)
    assert str(refused.value) == ENDED
    del platform.db.users[ana.id]
    with pytest.raises(Unauthenticated):
        await platform.sign_ins.authenticate(started.token)


async def test_the_callers_role_is_the_users_role_now(platform, acme):
    ana, started = await signed_in(platform, acme)
    await store(platform, platform.db.users[ana.id].with_role(AccessRole.VIEWER))
    assert (await platform.sign_ins.authenticate(started.token)).role is AccessRole.VIEWER


async def test_sign_out_ends_that_session_only(platform, acme):
    _, started = await signed_in(platform, acme)
    other = await platform.sign_ins.complete(ANA, method=OIDC)
    platform.clock.advance(timedelta(minutes=3))
    await platform.sign_ins.sign_out(started.token)
    assert stored_session(platform, started.session.id).ended_at == platform.clock.now()
    with pytest.raises(Unauthenticated):
        await platform.sign_ins.authenticate(started.token)
    assert stored_session(platform, other.session.id).ended_at is None
    await platform.sign_ins.authenticate(other.token)

    ended_at = platform.clock.now()
    platform.clock.advance(timedelta(minutes=3))
    await platform.sign_ins.sign_out(started.token)  # twice: the first end stands
    assert stored_session(platform, started.session.id).ended_at == ended_at


async def test_signing_out_an_unknown_token_does_nothing(platform, acme):
    _, started = await signed_in(platform, acme)
    await platform.sign_ins.sign_out("not-a-token")
    assert stored_session(platform, started.session.id).ended_at is None


# -- bearer tokens (caller_for_bearer_token, caller_for_token) --------------------------------


def token(**overrides) -> VerifiedToken:
    return VerifiedToken(**{
        "issuer": CORP, "subject": "a-service", "email": None, "tenant_slug": "acme", "role_name": "sender",
        "expires_at": datetime(2030, 1, 1, tzinfo=UTC), **overrides,
    })


async def test_without_an_issuer_no_bearer_token_is_accepted(platform, acme):
    with pytest.raises(TokenRejected) as refused:
        await platform.sign_ins.caller_for_bearer_token("eyJ.token")
    assert refused.value.reason is TokenRejection.WRONG_ISSUER and refused.value.code == "invalid_token"
    assert str(refused.value) == "this installation accepts no bearer tokens but API keys"


async def test_a_bearer_token_is_checked_by_the_verifier_then_mapped(platform, acme, verifier):
    verifier.tokens["eyJ.good"] = token()
    caller = await platform.sign_ins.caller_for_bearer_token("eyJ.good")
    credential = f"token:{identity_hash(CORP, 'a-service')}"
    assert caller == Caller(tenant_id=acme, role=AccessRole.SENDER, credential_id=credential, actor=credential)
    with pytest.raises(TokenRejected) as refused:
        await platform.sign_ins.caller_for_bearer_token("eyJ.forged")
    assert refused.value.reason is TokenRejection.BAD_SIGNATURE
    assert verifier.asked == ["eyJ.good", "eyJ.forged"]


async def test_a_tokens_credential_is_its_issuer_and_subject(platform, acme):
    callers = [
        await platform.sign_ins.caller_for_token(t)
        for t in (token(), token(subject="another"), token(issuer="https://other.test"), token(role_name="admin"))
    ]
    credentials = [c.credential_id for c in callers]
    assert credentials[0] == credentials[3] and len(set(credentials)) == 3
    assert [c.role for c in callers] == [AccessRole.SENDER] * 3 + [AccessRole.ADMIN]
    assert all(c.user_id is None and c.kind == "key" and c.actor == c.credential_id for c in callers)


async def test_a_token_for_no_tenant_is_refused(platform, acme):
    with pytest.raises(Unauthenticated) as refused:
        await platform.sign_ins.caller_for_token(token(tenant_slug="globex"))
    assert str(refused.value) == "the token names no tenant of this installation"


async def test_a_tokens_linked_subject_is_its_user_with_the_tokens_role(platform, acme):
    identity = ExternalIdentity(issuer=CORP, subject="sub-ana")
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.VIEWER, identity)
    ana = await store(platform, ana.joined("team-1"))
    caller = await platform.sign_ins.caller_for_token(token(subject="sub-ana", role_name="admin"))
    assert caller == Caller(
        tenant_id=acme, role=AccessRole.ADMIN, credential_id=f"token:{identity_hash(CORP, 'sub-ana')}",
        actor=f"user:{ana.id}", user_id=ana.id, team_ids=frozenset({"team-1"}), kind="user",
    )


async def test_a_tokens_subject_linked_in_another_tenant_is_refused(platform, acme):
    globex = (await platform.tenants.create("globex")).id
    identity = ExternalIdentity(issuer=CORP, subject="sub-ana")
    await invite(platform, globex, "ana@acme.test", AccessRole.ADMIN, identity)
    with pytest.raises(Unauthenticated) as refused:
        await platform.sign_ins.caller_for_token(token(subject="sub-ana"))
    assert str(refused.value) == "the token's subject is a disabled user, or one of another tenant"
    caller = await platform.sign_ins.caller_for_token(token(subject="sub-ana", tenant_slug="globex"))
    assert caller.tenant_id == globex and caller.user_id is not None


async def test_a_disabled_users_token_is_refused_though_it_names_them_rightly(platform, acme):
    identity = ExternalIdentity(issuer=CORP, subject="sub-ana")
    ana = await invite(platform, acme, "ana@acme.test", AccessRole.ADMIN, identity)
    assert (await platform.sign_ins.caller_for_token(token(subject="sub-ana"))).user_id == ana.id
    await store(platform, ana.disabled(platform.clock.now()))
    with pytest.raises(Unauthenticated):
        await platform.sign_ins.caller_for_token(token(subject="sub-ana"))
