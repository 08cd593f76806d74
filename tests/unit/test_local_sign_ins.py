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


# -- refusals, their reasons, and what the tenant's log says -------------------------------------


def entries(platform: FakePlatform, tenant_id: str, *types: str) -> list[tuple[str, str, dict]]:
    """The tenant's log as (type, actor, data), of the given types."""
    return [(e.type, e.actor, e.data) for e in platform.db.tenant_audit.get(tenant_id, []) if e.type in types]


async def refusal(call) -> SignInRejected:
    with pytest.raises(SignInRejected) as refused:
        await call
    return refused.value


async def enrolled(platform: FakePlatform) -> tuple[str, tuple[str, ...]]:
    """Ana's authenticator set up under a tenant that requires one: its otpauth URI and her recovery codes."""
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    setup = await platform.local_sign_ins.enrol(first.pending)  # type: ignore[union-attr]
    done = await platform.local_sign_ins.second_factor(setup.pending, code_for(setup.otpauth_uri, platform))
    platform.clock.advance(timedelta(seconds=30))  # the code that confirmed it is spent
    return setup.otpauth_uri, done.recovery_codes


async def test_the_password_step_refuses_with_the_reason_bad_password_and_logs_the_failure(
    platform: FakePlatform, ana: User
) -> None:
    unknown = await refusal(platform.local_sign_ins.sign_in("acme", "nobody@acme.test", PASSWORD))
    wrong = await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", "not the password"))
    assert (unknown.reason, wrong.reason) == ("bad_password", "bad_password")
    assert entries(platform, ana.tenant_id, "SignInFailed") == [
        ("SignInFailed", "user:user-ana", {"user_id": "user-ana", "reason": "bad_password"})
    ]


async def test_a_password_alone_starts_a_password_session(platform: FakePlatform, ana: User) -> None:
    done = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(done, SignedIn) and done.started.session.method == "password"


async def test_a_disabled_user_is_refused_even_with_the_right_password(platform: FakePlatform, ana: User) -> None:
    await platform.users.disable_for_tenant("acme", ana.id, by="cli:root")
    refused = await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD))
    assert refused.reason == "bad_password"


async def test_a_user_whose_password_was_never_set_is_refused_like_an_unknown_address(
    platform: FakePlatform, ana: User
) -> None:
    from tests.fakes.people import StoredCredentials
    from undersign.domain.local_credentials import LocalCredentials

    platform.db.local_credentials[ana.id] = StoredCredentials(credentials=LocalCredentials(), version=9)
    refused = await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD))
    assert refused.reason == "bad_password"
    assert entries(platform, ana.tenant_id, "SignInFailed") == []


async def test_setting_a_password_is_logged_with_the_operator_and_keeps_the_authenticator(
    platform: FakePlatform, ana: User
) -> None:
    assert entries(platform, ana.tenant_id, "LocalPasswordSet") == [
        ("LocalPasswordSet", "cli:root", {"user_id": "user-ana"})
    ]
    await enrolled(platform)
    await platform.local_sign_ins.set_password("acme", "ana@acme.test", "another long passphrase", actor="cli:bob")
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", "another long passphrase")
    assert isinstance(again, SecondFactorNeeded) and not again.enrol  # the authenticator is still hers
    assert entries(platform, ana.tenant_id, "LocalPasswordSet")[-1] == (
        "LocalPasswordSet", "cli:bob", {"user_id": "user-ana"}
    )


async def test_operators_act_only_on_users_who_exist_and_sign_in_with_a_password(
    platform: FakePlatform, ana: User
) -> None:
    from undersign.domain.errors import NotFound

    with pytest.raises(NotFound, match="no user 'nobody@acme.test'"):
        await platform.local_sign_ins.set_password("acme", "nobody@acme.test", PASSWORD, actor="cli:root")
    with pytest.raises(NotFound, match="no user 'nobody@acme.test'"):
        await platform.local_sign_ins.reset_second_factor("acme", "nobody@acme.test", actor="cli:root")
    bob = User.invite(
        user_id="user-bob", tenant_id=ana.tenant_id, email="bob@acme.test", name="Bob", role=AccessRole.SENDER,
        now=platform.clock.now(),
    )
    async with platform.unit_of_work() as uow:
        await uow.users.add(bob)
        await uow.commit()
    with pytest.raises(NotFound, match="signs in with a password"):  # Bob has no password
        await platform.local_sign_ins.reset_second_factor("acme", "bob@acme.test", actor="cli:root")


async def test_resetting_a_second_factor_is_logged_with_the_operator(platform: FakePlatform, ana: User) -> None:
    await platform.local_sign_ins.reset_second_factor("acme", "ana@acme.test", actor="cli:bob")
    assert entries(platform, ana.tenant_id, "SecondFactorReset") == [
        ("SecondFactorReset", "cli:bob", {"user_id": "user-ana"})
    ]


async def test_a_lock_is_logged_once_with_its_end_and_the_wait_is_never_under_a_second(
    platform: FakePlatform, ana: User
) -> None:
    for _ in range(5):
        await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", "guess"))
    until = platform.clock.now() + timedelta(minutes=15)
    assert entries(platform, ana.tenant_id, "AccountLocked") == [
        ("AccountLocked", "user:user-ana", {"user_id": "user-ana", "until": until.isoformat()})
    ]
    platform.clock.advance(timedelta(minutes=15) - timedelta(milliseconds=500))
    with pytest.raises(TooManyRequests, match="locked") as locked:
        await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert locked.value.retry_after_seconds == 1
    platform.clock.advance(timedelta(seconds=1))
    await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", "guess"))  # a sixth: no new lock
    assert len(entries(platform, ana.tenant_id, "AccountLocked")) == 1


async def test_a_pending_sign_in_that_is_not_one_of_ours_is_refused_as_bad_pending(
    platform: FakePlatform, ana: User
) -> None:
    for pending in (b"not json", b"{}", b'{"id": 1}'):
        refused = await refusal(platform.local_sign_ins.second_factor(pending, "123456"))
        assert refused.reason == "bad_pending" and "not started here" in refused.detail


async def test_a_pending_sign_in_lives_exactly_its_lifetime(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    platform.clock.advance(PENDING_LIFETIME)
    setup = await platform.local_sign_ins.enrol(first.pending)  # type: ignore[union-attr]
    assert setup.otpauth_uri.startswith("otpauth://totp/")
    platform.clock.advance(timedelta(microseconds=1))
    expired = await refusal(platform.local_sign_ins.enrol(first.pending))  # type: ignore[union-attr]
    assert expired.reason == "expired"


async def test_the_authenticator_app_shows_undersign_as_the_issuer(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    setup = await platform.local_sign_ins.enrol(first.pending)  # type: ignore[union-attr]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(setup.otpauth_uri).query)["issuer"] == ["Undersign"]


async def test_enrolment_is_refused_once_the_password_changed(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    await platform.local_sign_ins.set_password("acme", "ana@acme.test", "another long passphrase", actor="cli:root")
    refused = await refusal(platform.local_sign_ins.enrol(first.pending))  # type: ignore[union-attr]
    assert refused.reason == "bad_pending" and "cannot set up an authenticator" in refused.detail


async def test_enrolment_is_refused_once_the_tenant_no_longer_requires_a_second_factor(
    platform: FakePlatform, ana: User
) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    await platform.tenants.set_sign_in_policy("acme", require_mfa=False, actor="cli:root")
    refused = await refusal(platform.local_sign_ins.enrol(first.pending))  # type: ignore[union-attr]
    assert refused.reason == "bad_pending"


async def test_a_user_with_an_authenticator_does_not_enrol_another(platform: FakePlatform, ana: User) -> None:
    await enrolled(platform)
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    refused = await refusal(platform.local_sign_ins.enrol(again.pending))  # type: ignore[union-attr]
    assert refused.reason == "bad_pending"


async def test_enrolment_is_refused_when_the_user_or_their_credentials_are_gone(
    platform: FakePlatform, ana: User
) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(first, SecondFactorNeeded)
    stored = platform.db.local_credentials.pop(ana.id)
    assert (await refusal(platform.local_sign_ins.enrol(first.pending))).reason == "bad_pending"
    platform.db.local_credentials[ana.id] = stored
    del platform.db.users[ana.id]
    assert (await refusal(platform.local_sign_ins.enrol(first.pending))).reason == "bad_pending"


async def test_a_wrong_code_does_not_confirm_an_enrolment(platform: FakePlatform, ana: User) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    setup = await platform.local_sign_ins.enrol(first.pending)  # type: ignore[union-attr]
    right = code_for(setup.otpauth_uri, platform)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = await refusal(platform.local_sign_ins.second_factor(setup.pending, wrong))
    assert refused.reason == "bad_second_factor"
    assert entries(platform, ana.tenant_id, "SignInFailed") == [
        ("SignInFailed", "user:user-ana", {"user_id": "user-ana", "reason": "bad_second_factor"})
    ]


async def test_a_disabled_user_does_not_finish_a_pending_sign_in(platform: FakePlatform, ana: User) -> None:
    uri, codes = await enrolled(platform)
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    await platform.users.disable_for_tenant("acme", ana.id, by="cli:root")
    refused = await refusal(platform.local_sign_ins.second_factor(again.pending, code_for(uri, platform)))  # type: ignore[union-attr]
    assert refused.reason == "bad_pending"


async def test_a_completed_second_step_is_claimed_until_its_pending_sign_in_would_expire(
    platform: FakePlatform, ana: User
) -> None:
    uri, codes = await enrolled(platform)
    platform.one_time_ids.claimed.clear()
    started_at = platform.clock.now()
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    platform.clock.advance(timedelta(seconds=40))
    await platform.local_sign_ins.second_factor(again.pending, code_for(uri, platform))  # type: ignore[union-attr]
    assert list(platform.one_time_ids.claimed.values()) == [started_at + PENDING_LIFETIME]
    replayed = await refusal(platform.local_sign_ins.second_factor(again.pending, codes[0]))  # type: ignore[union-attr]
    assert replayed.reason == "replayed"


async def test_a_code_another_sign_in_used_meanwhile_is_refused_as_a_wrong_code(
    platform: FakePlatform, ana: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    uri, codes = await enrolled(platform)
    again = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    claim = platform.one_time_ids.claim

    async def claim_after_another_sign_in_used_the_code(key: str, *, until) -> bool:
        stored = platform.db.local_credentials[ana.id]
        used = stored.credentials.with_recovery_code_used(platform.recovery_codes.hash(codes[0]))
        platform.db.local_credentials[ana.id] = replace(stored, credentials=used, version=stored.version + 1)
        return await claim(key, until=until)

    monkeypatch.setattr(platform.one_time_ids, "claim", claim_after_another_sign_in_used_the_code)
    refused = await refusal(platform.local_sign_ins.second_factor(again.pending, codes[0]))  # type: ignore[union-attr]
    assert refused.reason == "bad_second_factor" and "used already" in refused.detail


async def test_a_sign_in_that_keeps_losing_write_races_is_refused_never_a_conflict(
    platform: FakePlatform, ana: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersign.application.shared import write_conflicts
    from undersign.domain.errors import ConcurrencyConflict

    monkeypatch.setattr(write_conflicts, "MAX_PAUSE_SECONDS", 0.0)  # no pauses between the tries

    async def conflict(*args, **kwargs):
        raise ConcurrencyConflict("another writer")

    monkeypatch.setattr(platform.sign_ins, "start_session", conflict)
    refused = await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD))
    assert refused.reason == "bad_password" and refused.detail == "the email address or the password is not right"


async def test_a_burst_of_password_checks_past_the_limit_is_told_to_wait_a_second(
    platform: FakePlatform, ana: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import threading

    from undersign.application.access.local_sign_ins import MAX_PASSWORD_CHECKS

    release, verify = threading.Event(), platform.password_hasher.verify
    running = threading.Semaphore(0)

    def slow_verify(password_hash: str, password: str) -> bool:
        running.release()
        release.wait(5)
        return verify(password_hash, password)

    monkeypatch.setattr(platform.password_hasher, "verify", slow_verify)
    busy = [
        asyncio.create_task(platform.local_sign_ins.sign_in("acme", "nobody@acme.test", "guess"))
        for _ in range(MAX_PASSWORD_CHECKS)
    ]
    for _ in range(MAX_PASSWORD_CHECKS):
        while not running.acquire(blocking=False):
            await asyncio.sleep(0.001)
    try:
        with pytest.raises(TooManyRequests, match="at once") as refused:
            await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
        assert refused.value.retry_after_seconds == 1
    finally:
        release.set()
        await asyncio.gather(*busy, return_exceptions=True)


async def test_credentials_gone_while_the_password_was_checked_are_the_same_refusal(
    platform: FakePlatform, ana: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    verify = platform.password_hasher.verify

    def verify_while_the_credentials_go(password_hash: str, password: str) -> bool:
        platform.db.local_credentials.pop(ana.id)
        return verify(password_hash, password)

    monkeypatch.setattr(platform.password_hasher, "verify", verify_while_the_credentials_go)
    refused = await refusal(platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD))
    assert refused.reason == "bad_password" and refused.detail == "the email address or the password is not right"


async def test_a_code_of_an_authenticator_never_confirmed_is_no_second_factor(platform: FakePlatform, ana: User) -> None:
    from dataclasses import replace

    from undersign.domain.local_credentials import TotpEnrolment

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    stored = platform.db.local_credentials[ana.id]
    unconfirmed = replace(stored.credentials, totp=TotpEnrolment(secret=secret))
    platform.db.local_credentials[ana.id] = replace(stored, credentials=unconfirmed)
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    assert isinstance(first, SecondFactorNeeded) and first.enrol
    code = pyotp.TOTP(secret).at(platform.clock.now())
    refused = await refusal(platform.local_sign_ins.second_factor(first.pending, code))
    assert refused.reason == "bad_second_factor"
    assert entries(platform, ana.tenant_id, "SignInFailed") == [
        ("SignInFailed", "user:user-ana", {"user_id": "user-ana", "reason": "bad_second_factor"})
    ]


async def test_a_second_step_whose_user_is_gone_counts_nothing_against_the_credentials(
    platform: FakePlatform, ana: User
) -> None:
    await require_mfa(platform)
    first = await platform.local_sign_ins.sign_in("acme", "ana@acme.test", PASSWORD)
    counted = platform.db.local_credentials[ana.id].credentials.failed_attempts
    del platform.db.users[ana.id]
    refused = await refusal(platform.local_sign_ins.second_factor(first.pending, "123456"))  # type: ignore[union-attr]
    assert refused.reason == "bad_pending"
    assert platform.db.local_credentials[ana.id].credentials.failed_attempts == counted
