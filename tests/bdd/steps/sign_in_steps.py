"""Steps for signing in (features/sign_in.feature), on the fakes: the identity provider is a stand-in that
vouches for whom the scenario says (the real providers are driven in tests/e2e/test_sign_in_http.py)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import pytest
from pytest_bdd import given, parsers, then, when

from tests.fakes.platform import FakePlatform
from undersign.application.access.identity_ports import SignInRejected, VerifiedSignIn
from undersign.application.access.local_sign_ins import SecondFactorNeeded, SignedIn, TotpSetup
from undersign.application.access.sign_ins import StartedSession
from undersign.application.shared.errors import TooManyRequests, Unauthenticated
from undersign.domain.tenant import AccessRole
from undersign.domain.user import User

PASSWORD = "correct horse battery staple"


class StandInProvider:
    """An identity provider that vouches for `next` (what a real one's checked answer would say)."""

    key = "oidc:corp"
    metadata = None

    def __init__(self) -> None:
        self.next: VerifiedSignIn | None = None

    async def begin(self) -> tuple[str, bytes]:
        return "https://login.acme.test/authorize", b"pending"

    async def finish(self, pending: bytes, answer: Mapping[str, str]) -> VerifiedSignIn:
        assert self.next is not None
        return self.next


@dataclass
class Door:
    platform: FakePlatform = field(default_factory=FakePlatform)
    provider: StandInProvider = field(default_factory=StandInProvider)
    slug: str = ""
    tenant_id: str = ""
    session: StartedSession | None = None
    refusal: Exception | None = None
    step: SignedIn | SecondFactorNeeded | TotpSetup | None = None
    secret: str = ""
    code: str = ""


@pytest.fixture
def door() -> Door:
    return Door()


@given(parsers.parse('the organisation "{slug}" signs in with its identity provider "{name}"'))
def organisation_with_a_provider(door: Door, run, slug: str, name: str) -> None:
    door.platform.sign_in_providers.append(door.provider)  # before the sign-in use case is first made
    door.slug, door.tenant_id = slug, run(door.platform.tenants.create(slug)).id


@given(parsers.re(r'^"(?P<email>[^"]+)" was invited as an? (?P<role>[a-z]+)(?P<with_password> with a password)?$'))
def invited(door: Door, run, email: str, role: str, with_password: str | None) -> None:
    async def invite() -> None:
        user = User.invite(
            user_id=f"user-{email.split('@')[0]}", tenant_id=door.tenant_id, email=email, name=email.split("@")[0],
            role=AccessRole(role), now=door.platform.clock.now(),
        )
        async with door.platform.unit_of_work() as uow:
            await uow.users.add(user)
            await uow.commit()
        if with_password:
            await door.platform.local_sign_ins.set_password(door.slug, email, PASSWORD, actor="cli:operator")

    run(invite())


@given(parsers.re(r'^the identity provider has vouched for "(?P<email>[^"]+)"$'))
@when(parsers.re(r'^the identity provider vouches for "(?P<email>[^"]+)"(?P<admin> as a member of a group mapped to admin)?$'))
def vouches(door: Door, run, email: str, admin: str | None = None) -> None:
    door.provider.next = VerifiedSignIn(
        issuer="https://login.acme.test", subject=f"sub-{email}", tenant_slug=door.slug, email=email,
        role_name="admin" if admin else None,
    )
    try:
        door.session, door.refusal = run(door.platform.sign_ins.finish("oidc:corp", b"pending", {})), None
    except SignInRejected as refused:
        door.session, door.refusal = None, refused


@then(parsers.re(r'^"(?P<email>[^"]+)" has a session as an? (?P<role>[a-z]+)$'))
def has_a_session(door: Door, run, email: str, role: str) -> None:
    assert door.session is not None, door.refusal
    caller = run(door.platform.sign_ins.authenticate(door.session.token))
    assert door.session.user.email == email and caller.role is AccessRole(role)


@then(parsers.re(r'^the sign-in is refused because "(?P<email>[^"]+)" was not invited$'))
def refused_not_invited(door: Door, email: str) -> None:
    assert isinstance(door.refusal, SignInRejected) and door.refusal.reason == "not_invited"
    assert door.session is None


@then(parsers.re(r"^the organisation's audit log shows (?P<what>the sign-in|the refusal|the account locked)$"))
def audit_shows(door: Door, what: str) -> None:
    kind = {"the sign-in": "UserSignedIn", "the refusal": "SignInRefused", "the account locked": "AccountLocked"}[what]
    assert kind in [entry.type for entry in door.platform.db.tenant_audit[door.tenant_id]]


@when("the organisation lets people in at their first sign-in")
def lets_people_in(door: Door, run) -> None:
    run(door.platform.tenants.set_sign_in_policy(door.slug, just_in_time_users=True, actor="cli:operator"))


@when(parsers.re(r"^(?P<minutes>\d+) minutes go by without use$"))
def minutes_go_by(door: Door, minutes: str) -> None:
    door.platform.clock.advance(timedelta(minutes=int(minutes)))


@then(parsers.re(r"^the session (?P<state>still works|no longer works)$"))
def session_state(door: Door, run, state: str) -> None:
    assert door.session is not None
    if state == "still works":
        run(door.platform.sign_ins.authenticate(door.session.token))
    else:
        with pytest.raises(Unauthenticated):
            run(door.platform.sign_ins.authenticate(door.session.token))


# -- a password and an authenticator app ----------------------------------------------------------


@given("the organisation requires a second factor")
def requires_a_second_factor(door: Door, run) -> None:
    run(door.platform.tenants.set_sign_in_policy(door.slug, require_mfa=True, actor="cli:operator"))


@when(parsers.re(r"^Ana signs in with her password$"))
def signs_in_with_password(door: Door, run) -> None:
    door.step = run(door.platform.local_sign_ins.sign_in(door.slug, "ana@acme.test", PASSWORD))


@then("she is asked to set up an authenticator app")
def asked_to_enrol(door: Door) -> None:
    assert isinstance(door.step, SecondFactorNeeded) and door.step.enrol


@when("she sets it up and types the code it shows")
def sets_it_up(door: Door, run) -> None:
    assert isinstance(door.step, SecondFactorNeeded)
    setup = run(door.platform.local_sign_ins.enrol(door.step.pending))
    door.secret = urllib.parse.parse_qs(urllib.parse.urlsplit(setup.otpauth_uri).query)["secret"][0]
    door.code = pyotp.TOTP(door.secret).at(door.platform.clock.now())
    door.step = run(door.platform.local_sign_ins.second_factor(setup.pending, door.code))


@then("she has a session and ten recovery codes")
def session_and_codes(door: Door, run) -> None:
    assert isinstance(door.step, SignedIn) and len(door.step.recovery_codes) == 10
    run(door.platform.sign_ins.authenticate(door.step.started.token))


@when("she signs in again with her password and the same code")
def same_code_again(door: Door, run) -> None:
    asked = run(door.platform.local_sign_ins.sign_in(door.slug, "ana@acme.test", PASSWORD))
    assert isinstance(asked, SecondFactorNeeded) and not asked.enrol
    try:
        run(door.platform.local_sign_ins.second_factor(asked.pending, door.code))
        door.refusal = None
    except SignInRejected as refused:
        door.refusal = refused


@then("the code is refused because it was used already")
def code_refused(door: Door) -> None:
    assert isinstance(door.refusal, SignInRejected) and "used already" in door.refusal.detail


@when(parsers.re(r"^Ana types a wrong password (?P<times>\d+) times$"))
def wrong_passwords(door: Door, run, times: str) -> None:
    for _ in range(int(times)):
        with pytest.raises(SignInRejected):
            run(door.platform.local_sign_ins.sign_in(door.slug, "ana@acme.test", "not her password"))


@then(parsers.re(r"^even her right password is refused for (?P<minutes>\d+) minutes$"))
def locked_for(door: Door, run, minutes: str) -> None:
    with pytest.raises(TooManyRequests) as locked:
        run(door.platform.local_sign_ins.sign_in(door.slug, "ana@acme.test", PASSWORD))
    assert locked.value.retry_after_seconds == int(minutes) * 60
