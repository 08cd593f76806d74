"""Who an identity provider's word lets in, on the fakes: linking, just-in-time users, roles, bearer tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.fakes.platform import FakePlatform
from undersign.application.access.identity_ports import SignInRejected, VerifiedSignIn, VerifiedToken
from undersign.application.shared.errors import Unauthenticated
from undersign.domain.tenant import AccessRole
from undersign.domain.user import ExternalIdentity, User

CORP = "https://login.acme.test"
ANA = VerifiedSignIn(issuer=CORP, subject="sub-ana", tenant_slug="acme", email="ana@acme.test")


@pytest.fixture
async def acme(platform: FakePlatform) -> str:
    return (await platform.tenants.create("acme")).id


async def invite(platform: FakePlatform, tenant_id: str, email: str, role: AccessRole = AccessRole.SENDER) -> User:
    user = User.invite(
        user_id=f"user-{email.split('@')[0]}", tenant_id=tenant_id, email=email, name="Someone", role=role,
        now=platform.clock.now(),
    )
    async with platform.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def test_an_invitation_is_linked_to_the_first_identity_that_vouches_for_its_address(
    platform: FakePlatform, acme: str
) -> None:
    ana = await invite(platform, acme, "ana@acme.test")
    started = await platform.sign_ins.complete(ANA, method="oidc:corp")
    assert started.user.id == ana.id
    # Another subject claiming the same address later is not Ana: the invitation was taken up.
    with pytest.raises(SignInRejected):
        await platform.sign_ins.complete(replace(ANA, subject="sub-mallory"), method="oidc:corp")
    assert (await platform.sign_ins.complete(ANA, method="oidc:corp")).user.id == ana.id


async def test_a_user_with_a_password_is_never_handed_to_a_provider_by_email(platform: FakePlatform, acme: str) -> None:
    await invite(platform, acme, "ana@acme.test")
    await platform.local_sign_ins.set_password("acme", "ana@acme.test", "correct horse battery", actor="cli:root")
    with pytest.raises(SignInRejected):
        await platform.sign_ins.complete(ANA, method="oidc:corp")


async def test_a_provider_that_maps_roles_takes_a_role_away_when_no_group_maps(platform: FakePlatform, acme: str) -> None:
    await invite(platform, acme, "ana@acme.test", AccessRole.ADMIN)
    mapped = replace(ANA, maps_roles=True)
    started = await platform.sign_ins.complete(replace(mapped, role_name="admin"), method="oidc:corp")
    assert started.user.role is AccessRole.ADMIN
    demoted = await platform.sign_ins.complete(mapped, method="oidc:corp")  # out of every mapped group
    assert demoted.user.role is AccessRole.VIEWER
    unmapped = await platform.sign_ins.complete(ANA, method="oidc:corp")  # a provider that maps no roles
    assert unmapped.user.role is AccessRole.VIEWER  # the stored role stands
    changes = [e.data for e in platform.db.tenant_audit[acme] if e.type == "UserRoleChanged"]
    assert changes[-1] == {"user_id": started.user.id, "old_role": "admin", "new_role": "viewer"}


async def test_a_disabled_users_bearer_token_is_refused(platform: FakePlatform, acme: str) -> None:
    ana = await invite(platform, acme, "ana@acme.test")
    async with platform.unit_of_work() as uow:
        await uow.users.link(ana, ExternalIdentity(issuer=CORP, subject="sub-ana"))
        await uow.commit()
    token = VerifiedToken(
        issuer=CORP, subject="sub-ana", email=None, tenant_slug="acme", role_name="admin",
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    caller = await platform.sign_ins.caller_for_token(token)
    assert caller.user_id == ana.id and caller.role is AccessRole.ADMIN
    async with platform.unit_of_work() as uow:
        await uow.users.save(ana.disabled(platform.clock.now()))
        await uow.commit()
    with pytest.raises(Unauthenticated):
        await platform.sign_ins.caller_for_token(token)
    stranger = await platform.sign_ins.caller_for_token(replace(token, subject="a-service"))
    assert stranger.user_id is None and stranger.actor.startswith("token:")


# -- a web session's life (domain) ------------------------------------------------------------


def _session(**overrides):
    from undersign.domain.web_session import WebSession

    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    fields = dict(
        id="s1", tenant_id="t1", user_id="u1", token_hash="h", method="password", created_at=at, last_seen_at=at
    )
    return WebSession(**{**fields, **overrides})


def test_a_session_ends_at_the_first_of_sign_out_idle_time_and_its_absolute_age() -> None:
    from datetime import timedelta

    from undersign.domain.web_session import SessionTimeouts

    timeouts = SessionTimeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    session = _session()
    start = session.created_at
    assert session.is_live(start + timedelta(minutes=30) - timedelta(microseconds=1), timeouts)
    assert not session.is_live(start + timedelta(minutes=30), timeouts)  # idle
    busy = _session(last_seen_at=start + timedelta(hours=11, minutes=59))
    assert busy.is_live(start + timedelta(hours=12) - timedelta(microseconds=1), timeouts)
    assert not busy.is_live(start + timedelta(hours=12), timeouts)  # however busy, not past its absolute age
    assert not session.ended(start + timedelta(minutes=1)).is_live(start + timedelta(minutes=2), timeouts)


def test_seen_moves_the_last_request_forward_never_back() -> None:
    from datetime import timedelta

    session = _session()
    later = session.last_seen_at + timedelta(minutes=5)
    seen = session.seen(later)
    assert seen == replace(session, last_seen_at=later)
    assert seen.seen(later - timedelta(minutes=1)) == seen


def test_ending_a_session_again_keeps_the_first_time() -> None:
    from datetime import timedelta

    session = _session()
    first = session.created_at + timedelta(minutes=1)
    ended = session.ended(first)
    assert ended.ended_at == first
    assert ended.ended(first + timedelta(minutes=1)).ended_at == first
