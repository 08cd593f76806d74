"""Local sign-in with a password and a TOTP second factor, on the fakes (with the real Argon2 and pyotp)."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta

import pyotp
import pytest

from tests.fakes.platform import FakePlatform
from undersign.application.access.identity_ports import SignInRejected
from undersign.application.access.local_sign_ins import PENDING_LIFETIME, SecondFactorNeeded, SignedIn
from undersign.application.shared.errors import TooManyRequests
from undersign.domain.errors import InvalidInput
from undersign.domain.tenant import AccessRole
from undersign.domain.user import User

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def ana(platform: FakePlatform) -> User:
    tenant = await platform.tenants.create("acme")
    user = User.invite(
        user_id="user-ana", tenant_id=tenant.id, email="ana@acme.test", name="Ana", role=AccessRole.SENDER,
        now=platform.clock.now(),
    )
    async with platform.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()
    await platform.local_sign_ins.set_password("acme", "ana@acme.test", PASSWORD, actor="cli:root")
    return user


async def acts(platform: FakePlatform) -> list[str]:
    return [entry.type for entries in platform.db.tenant_audit.values() for entry in entries]


async def require_mfa(platform: FakePlatform) -> None:
    await platform.tenants.set_sign_in_policy("acme", require_mfa=True, actor="cli:root")


def code_for(uri: str, platform: FakePlatform, *, steps_later: int = 0) -> str:
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]
    return pyotp.TOTP(secret).at(platform.clock.now() + timedelta(seconds=30 * steps_later))


async def test_a_password_alone_signs_in_where_no_second_factor_is_asked(platform: FakePlatform, ana: User) -> None:
    done = await platform.local_sign_ins.sign_in("acme", "Ana@Acme.test", PASSWORD)
    assert isinstance(done, SignedIn) and done.started.user.id == ana.id
    caller = await platform.sign_ins.authenticate(done.started.token)
    assert caller.user_id == ana.id and caller.role is AccessRole.SENDER
    assert "LocalPasswordSet" in await acts(platform) and "UserSignedIn" in await acts(platform)


@pytest.mark.parametrize(("email", "password"), [("ana@acme.test", "not the password"), ("nobody@acme.test", PASSWORD)])
async def test_a_wrong_password_and_an_unknown_address_are_the_same_refusal(
    platform: FakePlatform, ana: User, email: str, password: str
) -> None:
    with pytest.raises(SignInRejected) as refused:
        await platform.local_sign_ins.sign_in("acme", email, password)
    assert refused.value.detail == "the email address or the password is not right"


async def test_five_failures_lock_the_account_even_against_the_right_password(platform: FakePlatform, ana: User) -> None:
    for _ in range(5):
        with pytest.raises(SignInRejected):
            await platform.local_sign_ins.sign_in("acme", "ana@acme.test", "guess")
    with pytest.raises(TooManyRequests) as locked:
        await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert locked.value.retry_after_seconds == 15 * 60
    assert (await acts(platform)).count("SignInFailed") == 5 and "AccountLocked" in await acts(platform)
    platform.clock.advance(timedelta(minutes=15))
    assert isinstance(await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD), SignedIn)


async def test_a_tenant_that_requires_mfa_has_the_user_enrol_then_asks_for_a_code_each_time(
    platform: FakePlatform, ana: User
) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(first, SecondFactorNeeded) and first.enrol
    with pytest.raises(SignInRejected):  # no session without the second step
        await platform.local_sign_ins.second_factor(first.pending, "000000")
    setup = await platform.local_sign_ins.enrol(first.pending)
    assert setup.otpauth_uri.startswith("otpauth://totp/") and "ana%40acme.test" in setup.otpauth_uri
    enrolled = await platform.local_sign_ins.second_factor(setup.pending, code_for(setup.otpauth_uri, platform))
    assert len(enrolled.recovery_codes) == 10 and len(set(enrolled.recovery_codes)) == 10

    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(again, SecondFactorNeeded) and not again.enrol
    with pytest.raises(SignInRejected, match="used already"):  # the code that confirmed it is spent
        await platform.local_sign_ins.second_factor(again.pending, code_for(setup.otpauth_uri, platform))
    platform.clock.advance(timedelta(seconds=30))
    done = await platform.local_sign_ins.second_factor(again.pending, code_for(setup.otpauth_uri, platform))
    assert done.started.session.method == "password+totp" and done.recovery_codes == ()

    recovery = enrolled.recovery_codes[0]
    third = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(third, SecondFactorNeeded)
    await platform.local_sign_ins.second_factor(third.pending, recovery.upper().replace("-", " "))
    with pytest.raises(SignInRejected):
        await platform.local_sign_ins.second_factor(third.pending, recovery)


async def test_guessing_codes_locks_the_account(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(first, SecondFactorNeeded)
    setup = await platform.local_sign_ins.enrol(first.pending)
    await platform.local_sign_ins.second_factor(setup.pending, code_for(setup.otpauth_uri, platform))
    pending = (await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)).pending  # type: ignore[union-attr]
    right = code_for(setup.otpauth_uri, platform, steps_later=1)
    # The password's attempt stays counted until the code is right: four guesses, and the account is locked.
    for guess in ("111111", "222222", "333333", "444444"):
        with pytest.raises(SignInRejected):
            await platform.local_sign_ins.second_factor(pending, guess)
    with pytest.raises(TooManyRequests):
        await platform.local_sign_ins.second_factor(pending, right)


async def test_guesses_sent_at_once_are_all_counted_and_never_tell_the_right_one_apart(
    platform: FakePlatform, ana: User
) -> None:
    import asyncio

    guesses = [f"wrong guess {n}" for n in range(12)] + [PASSWORD]
    outcomes = await asyncio.gather(
        *(platform.local_sign_ins.sign_in("acme", "ana@acme.test", guess) for guess in guesses), return_exceptions=True
    )
    kinds = {type(outcome).__name__ for outcome in outcomes}
    assert kinds <= {"SignInRejected", "TooManyRequests", "SignedIn"}, outcomes
    checked = [o for o in outcomes if not isinstance(o, TooManyRequests)]
    assert len(checked) <= 5  # the lock came after five attempts, however many were sent at once


async def test_a_second_step_is_used_once_and_not_after_a_new_password(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    setup = await platform.local_sign_ins.enrol(first.pending)  # type: ignore[union-attr]
    done = await platform.local_sign_ins.second_factor(setup.pending, code_for(setup.otpauth_uri, platform))
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(again, SecondFactorNeeded)
    await platform.local_sign_ins.second_factor(again.pending, done.recovery_codes[0])
    with pytest.raises(SignInRejected, match="completed already"):
        await platform.local_sign_ins.second_factor(again.pending, done.recovery_codes[1])
    late = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    await platform.local_sign_ins.set_password("acme", "ana@acme.test", "another long passphrase", actor="cli:root")
    with pytest.raises(SignInRejected, match="not started here"):
        await platform.local_sign_ins.second_factor(late.pending, done.recovery_codes[2])  # type: ignore[union-attr]


async def test_a_pending_sign_in_expires(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(first, SecondFactorNeeded)
    platform.clock.advance(PENDING_LIFETIME + timedelta(seconds=1))
    with pytest.raises(SignInRejected, match="too long"):
        await platform.local_sign_ins.enrol(first.pending)


async def test_a_short_password_is_refused_before_anything_is_stored(platform: FakePlatform, ana: User) -> None:
    with pytest.raises(InvalidInput):
        await platform.local_sign_ins.set_password("acme", "ana@acme.test", "short", actor="cli:root")


async def test_an_operator_resets_a_lost_authenticator_and_the_next_sign_in_sets_one_up(
    platform: FakePlatform, ana: User
) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    setup = await platform.local_sign_ins.enrol(first.pending)  # type: ignore[union-attr]
    await platform.local_sign_ins.second_factor(setup.pending, code_for(setup.otpauth_uri, platform))
    await platform.local_sign_ins.reset_second_factor("acme", "ana@acme.test", actor="cli:root")
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(again, SecondFactorNeeded) and again.enrol
    assert "SecondFactorReset" in await acts(platform)
