"""A local user's credentials: the lockout and its escalation, TOTP steps never used twice,
recovery codes used once, and the password policy at its edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from undersign.domain.errors import InvalidInput, InvalidState
from undersign.domain.local_credentials import (
    FIRST_LOCKOUT,
    LOCKOUT_THRESHOLD,
    MAX_LOCKOUT,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    LocalCredentials,
    TotpEnrolment,
    check_new_password,
    lockout_after,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 32 base32 characters, 160 bits


def enrolled(last_used_step: int | None = None) -> LocalCredentials:
    return LocalCredentials(
        password_hash="$argon2id$...",
        totp=TotpEnrolment(secret=SECRET, confirmed_at=NOW, last_used_step=last_used_step),
    )


def fail(credentials: LocalCredentials, times: int, now: datetime = NOW) -> LocalCredentials:
    for _ in range(times):
        credentials = credentials.after_failure(now)
    return credentials


# -- lockout -----------------------------------------------------------------------------------


def test_four_failures_do_not_lock_and_the_fifth_locks_for_fifteen_minutes() -> None:
    four = fail(LocalCredentials(), LOCKOUT_THRESHOLD - 1)
    assert four.failed_attempts == 4 and not four.is_locked(NOW)

    five = four.after_failure(NOW)
    assert five.failed_attempts == 5
    assert five.locked_until == NOW + FIRST_LOCKOUT == NOW + timedelta(minutes=15)
    assert five.is_locked(NOW) and five.is_locked(NOW + timedelta(minutes=14, seconds=59))
    assert not five.is_locked(NOW + FIRST_LOCKOUT)  # the lock ends at locked_until itself


def test_each_further_lock_lasts_twice_the_one_before_up_to_the_cap() -> None:
    credentials, locks = LocalCredentials(), []
    now = NOW
    for _ in range(8):
        credentials = fail(credentials, LOCKOUT_THRESHOLD, now)
        assert credentials.locked_until is not None
        locks.append(credentials.locked_until - now)
        now = credentials.locked_until  # the attacker waits the lock out and tries again
    minutes = [lock // timedelta(minutes=1) for lock in locks]
    assert minutes == [15, 30, 60, 120, 240, 240, 240, 240]
    assert MAX_LOCKOUT == timedelta(hours=4)


def test_failures_between_the_thresholds_keep_the_last_lock_as_it_was() -> None:
    locked = fail(LocalCredentials(), 5)
    later = NOW + timedelta(hours=1)
    six = locked.after_failure(later)
    assert six.failed_attempts == 6 and six.locked_until == locked.locked_until
    assert not six.is_locked(later)


def test_the_lockout_table() -> None:
    assert [lockout_after(n) for n in range(5)] == [None] * 5
    assert lockout_after(5) == FIRST_LOCKOUT
    assert lockout_after(7) is None
    assert lockout_after(10) == 2 * FIRST_LOCKOUT
    assert lockout_after(10_000_000) == MAX_LOCKOUT  # no overflow however long the siege


def test_a_success_forgets_the_failures_and_the_lock() -> None:
    locked = fail(enrolled(), 5)
    assert locked.is_locked(NOW)
    reset = locked.after_success()
    assert reset.failed_attempts == 0 and reset.locked_until is None and not reset.is_locked(NOW)
    assert reset.totp == locked.totp and reset.password_hash == locked.password_hash
    # and the count starts from nothing: four more failures do not lock
    assert not fail(reset, 4).is_locked(NOW)


def test_transitions_leave_the_original_alone() -> None:
    credentials = LocalCredentials()
    credentials.after_failure(NOW)
    assert credentials.failed_attempts == 0


def test_failed_attempts_are_not_negative() -> None:
    with pytest.raises(InvalidInput):
        LocalCredentials(failed_attempts=-1)


# -- TOTP --------------------------------------------------------------------------------------


def test_a_step_once_used_and_every_earlier_step_are_refused() -> None:
    used = enrolled(last_used_step=1000).with_totp_step(1001)
    assert used.totp is not None and used.totp.last_used_step == 1001
    for step in (1001, 1000, 999):
        assert not used.totp.accepts_step(step)
        with pytest.raises(InvalidState):
            used.with_totp_step(step)
    assert used.with_totp_step(1002).totp.last_used_step == 1002  # type: ignore[union-attr]


def test_the_first_step_of_a_fresh_enrolment_is_accepted() -> None:
    assert enrolled().with_totp_step(0).totp.last_used_step == 0  # type: ignore[union-attr]


def test_enrolment_waits_for_a_first_good_code() -> None:
    pending = LocalCredentials(password_hash="h").with_totp_enrolled(SECRET)
    assert pending.totp is not None and not pending.totp.is_confirmed and not pending.has_second_factor
    with pytest.raises(InvalidState):
        pending.with_totp_step(5)  # an unconfirmed authenticator signs no one in

    confirmed = pending.with_totp_confirmed(5, NOW)
    assert confirmed.has_second_factor and confirmed.totp is not None
    assert confirmed.totp.confirmed_at == NOW and confirmed.totp.last_used_step == 5
    with pytest.raises(InvalidState):
        confirmed.with_totp_step(5)  # the confirming code cannot sign in as well
    with pytest.raises(InvalidState):
        confirmed.with_totp_confirmed(6, NOW)
    with pytest.raises(InvalidState):
        confirmed.with_totp_enrolled(SECRET)  # remove the old one first


def test_an_unconfirmed_enrolment_may_be_started_again() -> None:
    pending = LocalCredentials().with_totp_enrolled(SECRET)
    again = pending.with_totp_enrolled("A" * 32)
    assert again.totp is not None and again.totp.secret == "A" * 32


def test_without_totp_no_second_factor_and_no_recovery_codes_remain() -> None:
    credentials = enrolled().with_recovery_codes(("a", "b")).without_totp()
    assert credentials.totp is None and credentials.recovery_code_hashes == () and not credentials.has_second_factor
    with pytest.raises(InvalidState):
        credentials.with_totp_step(1)


@pytest.mark.parametrize(
    "secret", ["", "JBSWY3DPEHPK3PXP", "jbswy3dpehpk3pxpjbswy3dpehpk3pxp", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX=", "1" * 32]
)
def test_a_totp_secret_is_long_enough_base32(secret: str) -> None:
    with pytest.raises(InvalidInput):
        TotpEnrolment(secret=secret)


def test_the_secrets_stay_out_of_the_repr() -> None:
    credentials = enrolled().with_recovery_codes(("c0ffee",))
    assert SECRET not in repr(credentials) and "argon2" not in repr(credentials) and "c0ffee" not in repr(credentials)


# -- recovery codes ----------------------------------------------------------------------------


def test_a_recovery_code_works_once() -> None:
    credentials = enrolled().with_recovery_codes(("h1", "h2", "h3"))
    assert credentials.has_recovery_code("h2")
    used = credentials.with_recovery_code_used("h2")
    assert used.recovery_code_hashes == ("h1", "h3")
    assert not used.has_recovery_code("h2")
    with pytest.raises(InvalidState):
        used.with_recovery_code_used("h2")
    assert used.with_recovery_code_used("h1").recovery_code_hashes == ("h3",)


def test_an_unknown_recovery_code_is_refused() -> None:
    credentials = enrolled().with_recovery_codes(("h1",))
    assert not credentials.has_recovery_code("h")
    assert not credentials.has_recovery_code("")
    with pytest.raises(InvalidState):
        credentials.with_recovery_code_used("h")


def test_a_new_set_of_recovery_codes_replaces_the_old() -> None:
    credentials = enrolled().with_recovery_codes(("h1", "h2")).with_recovery_codes(("h3",))
    assert not credentials.has_recovery_code("h1") and credentials.has_recovery_code("h3")


def test_recovery_codes_alone_are_no_second_factor() -> None:
    assert not LocalCredentials(recovery_code_hashes=("h1",)).has_second_factor


def test_recovery_code_hashes_are_distinct_and_few() -> None:
    with pytest.raises(InvalidInput):
        LocalCredentials(recovery_code_hashes=("h1", "h1"))
    with pytest.raises(InvalidInput):
        LocalCredentials(recovery_code_hashes=tuple(f"h{i}" for i in range(21)))


# -- password policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "a" * MIN_PASSWORD_LENGTH,
        "b" * MAX_PASSWORD_LENGTH,
        "correct horse battery staple",
        " leading and trailing spaces count ",
        "ñandú-über-café",  # 15 code points, more bytes
        "🔐🔑🗝️🔒🔓🔏🔐🔑🗝️🔒",  # emoji are characters like any other
        "all lowercase, no digits",  # no composition rules
    ],
)
def test_passwords_the_policy_accepts(password: str) -> None:
    assert len(password) >= MIN_PASSWORD_LENGTH
    check_new_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "",
        "a" * (MIN_PASSWORD_LENGTH - 1),
        "b" * (MAX_PASSWORD_LENGTH + 1),
        " " * MIN_PASSWORD_LENGTH,
        " \t\n\u00a0\u2003" * 4,  # whitespace of every kind
    ],
)
def test_passwords_the_policy_refuses(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password)
    assert refused.value.code == "invalid_input"
    if password.strip():
        assert password not in refused.value.detail


# -- what each refusal says -------------------------------------------------------------------


def test_twenty_recovery_codes_are_allowed() -> None:
    assert len(LocalCredentials(recovery_code_hashes=tuple(f"h{i}" for i in range(20))).recovery_code_hashes) == 20


def test_each_refused_value_is_named_in_its_refusal() -> None:
    with pytest.raises(InvalidInput, match="only whitespace"):
        check_new_password(" " * MIN_PASSWORD_LENGTH)
    with pytest.raises(InvalidInput, match="TOTP secret is 26 to 128 base32"):
        TotpEnrolment(secret="too-short")
    with pytest.raises(InvalidInput, match="TOTP time step is not negative"):
        TotpEnrolment(secret=SECRET, last_used_step=-1)
    with pytest.raises(InvalidInput, match="failed attempts are not negative"):
        LocalCredentials(failed_attempts=-1)
    with pytest.raises(InvalidInput, match="at most 20 recovery codes"):
        LocalCredentials(recovery_code_hashes=tuple(f"h{i}" for i in range(21)))
    with pytest.raises(InvalidInput, match="recovery codes are distinct"):
        LocalCredentials(recovery_code_hashes=("h1", "h1"))


def test_each_refused_transition_says_why() -> None:
    with pytest.raises(InvalidState, match="TOTP authenticator is already set up"):
        enrolled().with_totp_enrolled(SECRET)
    with pytest.raises(InvalidState, match="no TOTP authenticator waits for confirmation"):
        enrolled().with_totp_confirmed(1, NOW)
    with pytest.raises(InvalidState, match="no TOTP authenticator is set up"):
        LocalCredentials().with_totp_step(1)
    with pytest.raises(InvalidState, match="TOTP code was already used"):
        enrolled(last_used_step=5).with_totp_step(5)
    with pytest.raises(InvalidState, match="recovery code is not valid or was already used"):
        LocalCredentials().with_recovery_code_used("h1")
