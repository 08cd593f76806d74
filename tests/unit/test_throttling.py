"""Throttling's policy on the in-process counters, with a clock the tests move."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.system import FakeClock
from undersign.adapters.throttling.memory import MemoryRateLimiter
from undersign.application.access.throttling import Count, Throttle, ThrottleLimits, key_id_of
from undersign.application.shared.errors import TooManyRequests
from undersign.entrypoints.http.problems import domain_error
from undersign.entrypoints.http.throttling import client_of
from undersign.entrypoints.settings import Settings, SettingsError

WINDOW = 300


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def throttle_on(clock: FakeClock, **limits: int) -> Throttle:
    settings = {"auth_failures": 3, "token_failures": 3, "window_seconds": WINDOW, **limits}
    return Throttle(MemoryRateLimiter(clock), ThrottleLimits(**settings))


async def refusal(check) -> int | None:
    """The Retry-After of a refused check; None if it passed."""
    try:
        await check
    except TooManyRequests as refused:
        return refused.retry_after_seconds
    return None


async def test_an_address_is_refused_after_its_allowance_of_failed_authentications(clock) -> None:
    throttle = throttle_on(clock)
    for _ in range(2):
        await throttle.authentication_failed("198.51.100.7", None)
    assert await refusal(throttle.check_api("198.51.100.7")) is None

    await throttle.authentication_failed("198.51.100.7", None)

    assert await refusal(throttle.check_api("198.51.100.7")) == WINDOW  # whatever key it presents, a good one included
    assert await refusal(throttle.check_api("198.51.100.8")) is None


async def test_retry_after_counts_down_and_the_allowance_returns_when_the_window_ends(clock) -> None:
    throttle = throttle_on(clock)
    for _ in range(3):
        await throttle.authentication_failed("198.51.100.7", None)

    clock.advance(timedelta(seconds=100))
    assert await refusal(throttle.check_api("198.51.100.7")) == 200
    clock.advance(timedelta(seconds=199.5))
    assert await refusal(throttle.check_api("198.51.100.7")) == 1  # never 0: that would invite a retry now
    clock.advance(timedelta(seconds=0.5))
    assert await refusal(throttle.check_api("198.51.100.7")) is None

    for _ in range(2):
        await throttle.authentication_failed("198.51.100.7", None)
    assert await refusal(throttle.check_api("198.51.100.7")) is None  # a fresh window, a fresh allowance


async def test_checking_counts_nothing_so_successes_never_block(clock) -> None:
    throttle = throttle_on(clock)
    for _ in range(50):
        await throttle.check_api("198.51.100.7")
        await throttle.check_signing("198.51.100.7")
    assert await refusal(throttle.check_api("198.51.100.7")) is None
    assert await refusal(throttle.check_signing("198.51.100.7")) is None


async def test_a_key_id_failing_from_many_addresses_has_its_failures_refused_never_the_key(clock) -> None:
    throttle = throttle_on(clock)
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        await throttle.authentication_failed(address, "k1")

    refused = await throttle.key_refusal("k1")
    assert refused is not None and refused.retry_after_seconds == WINDOW  # what a wrong secret is answered now
    assert await throttle.key_refusal("k2") is None and await throttle.key_refusal(None) is None
    assert await refusal(throttle.check_api("203.0.113.4")) is None  # the request itself is let through


async def test_token_guesses_and_authentication_failures_are_counted_apart(clock) -> None:
    throttle = throttle_on(clock)
    for _ in range(3):
        await throttle.signing_token_missed("198.51.100.7")

    assert await refusal(throttle.check_signing("198.51.100.7")) == WINDOW
    assert await refusal(throttle.check_api("198.51.100.7")) is None

    for _ in range(3):
        await throttle.authentication_failed("198.51.100.9", None)
    assert await refusal(throttle.check_signing("198.51.100.9")) is None


async def test_a_limit_of_zero_throttles_nothing(clock) -> None:
    limiter = MemoryRateLimiter(clock)
    throttle = Throttle(limiter, ThrottleLimits(auth_failures=0, token_failures=0, window_seconds=WINDOW))
    for _ in range(100):
        await throttle.authentication_failed("198.51.100.7", "k1")
        await throttle.signing_token_missed("198.51.100.7")
        await throttle.tenant_request("t1")
    assert await refusal(throttle.check_api("198.51.100.7")) is None
    assert await refusal(throttle.check_signing("198.51.100.7")) is None
    assert len(limiter) == 0


async def test_a_tenant_past_its_rate_is_refused_until_the_minute_ends(clock) -> None:
    throttle = throttle_on(clock, tenant_requests_per_minute=3)
    for _ in range(3):
        await throttle.tenant_request("t1")
    clock.advance(timedelta(seconds=20))

    with pytest.raises(TooManyRequests) as refused:
        await throttle.tenant_request("t1")
    assert refused.value.retry_after_seconds == 40 and refused.value.code == "too_many_requests"
    assert await refusal(throttle.tenant_request("t2")) is None

    clock.advance(timedelta(seconds=40))
    assert await refusal(throttle.tenant_request("t1")) is None


async def test_memory_is_bounded_however_many_addresses_an_attacker_rotates_through(clock) -> None:
    limiter = MemoryRateLimiter(clock, max_buckets=100)
    for n in range(1000):
        await limiter.hit(f"auth:ip:10.0.{n // 256}.{n % 256}", WINDOW)

    assert len(limiter) == 100
    assert await limiter.peek("auth:ip:10.0.0.0") == Count(0, 0.0)  # the oldest went first
    assert (await limiter.peek("auth:ip:10.0.3.231")).hits == 1  # the newest stayed


async def test_ended_windows_are_forgotten_as_new_ones_open(clock) -> None:
    limiter = MemoryRateLimiter(clock)
    for n in range(10):
        await limiter.hit(f"b{n}", 60)
    clock.advance(timedelta(seconds=60))

    assert await limiter.hit("fresh", 60) == Count(1, 60.0)
    assert len(limiter) == 1


def test_only_the_key_id_is_taken_from_a_presented_key_never_the_secret() -> None:
    assert key_id_of("usk_0f3a9c_s3cr3t_with_underscores") == "0f3a9c"
    assert key_id_of(" usk_0f3a9c_s3cr3t ") == "0f3a9c"
    for not_a_key in ("usk_0f3a9c", "usk_0f3a9c_", "usk__s3cr3t", "abc_0f3a9c_s3cr3t", "s3cr3t", "", "usk_a:b_s3cr3t",
                      f"usk_{'a' * 65}_s3cr3t"):  # fmt: skip
        assert key_id_of(not_a_key) is None, not_a_key


def test_an_ipv6_client_is_counted_by_its_slash_64() -> None:
    assert client_of("2001:db8:1:2::1") == client_of("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert client_of("2001:db8:1:3::1") != client_of("2001:db8:1:2::1")
    assert client_of("::ffff:192.0.2.1") == client_of("192.0.2.1") == "192.0.2.1"
    assert client_of(None) == client_of("") == "unknown"
    assert client_of("test client\n" + "x" * 100) == "testclient" + "x" * 54


def test_a_refusal_is_a_429_problem_that_says_when_to_come_back() -> None:
    error = TooManyRequests("too many", retry_after_seconds=42)
    response = domain_error(None, error)  # type: ignore[arg-type]
    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert response.content["code"] == "too_many_requests" and response.content["status"] == 429


def test_throttling_settings_default_to_on_with_no_tenant_rate_and_read_the_environment() -> None:
    default = Settings.from_env({})
    assert (default.throttle_auth_failures, default.throttle_token_failures) == (20, 20)
    assert (default.throttle_window_seconds, default.tenant_requests_per_minute) == (300, 0)

    settings = Settings.from_env({
        "UNDERSIGN_THROTTLE_AUTH_FAILURES": "5", "UNDERSIGN_THROTTLE_TOKEN_FAILURES": "0",
        "UNDERSIGN_THROTTLE_WINDOW_SECONDS": "60", "UNDERSIGN_TENANT_REQUESTS_PER_MINUTE": "600",
    })  # fmt: skip
    assert (settings.throttle_auth_failures, settings.throttle_token_failures) == (5, 0)
    assert (settings.throttle_window_seconds, settings.tenant_requests_per_minute) == (60, 600)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("UNDERSIGN_THROTTLE_AUTH_FAILURES", "-1", "must be at least 0"),
        ("UNDERSIGN_THROTTLE_WINDOW_SECONDS", "0", "must be at least 1"),
        ("UNDERSIGN_TENANT_REQUESTS_PER_MINUTE", "lots", "must be a whole number"),
    ],
)
def test_a_bad_throttling_setting_is_refused_by_name(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} {message}"):
        Settings.from_env({name: value})


async def test_a_failure_without_a_key_id_is_counted_against_the_address_alone(clock) -> None:
    limiter = MemoryRateLimiter(clock)
    throttle = Throttle(limiter, ThrottleLimits(auth_failures=3, token_failures=3, window_seconds=WINDOW))
    await throttle.authentication_failed("198.51.100.7", None)
    assert len(limiter) == 1
    await throttle.authentication_failed("198.51.100.7", "k1")
    assert len(limiter) == 2  # the address's bucket, and now the key id's


async def test_each_refusal_says_what_was_counted_and_when_to_come_back(clock) -> None:
    throttle = throttle_on(clock, tenant_requests_per_minute=1)
    for _ in range(3):
        await throttle.authentication_failed("198.51.100.7", "k1")
        await throttle.signing_token_missed("198.51.100.7")
    with pytest.raises(TooManyRequests, match="failed authentications from your address; try again in 300 s"):
        await throttle.check_api("198.51.100.7")
    with pytest.raises(TooManyRequests, match="signing links that do not work from your address"):
        await throttle.check_signing("198.51.100.7")
    refused = await throttle.key_refusal("k1")
    assert refused is not None and "failed authentications with this API key" in refused.detail
    await throttle.tenant_request("t1")
    with pytest.raises(TooManyRequests, match="more than 1 requests a minute"):
        await throttle.tenant_request("t1")
