"""Throttling counts in a real Redis, shared by every API process that names it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.servers import RedisServer, free_port
from tests.stack import settings_for
from undersign.adapters.throttling.memory import MemoryRateLimiter
from undersign.adapters.throttling.redis import KEY_PREFIX, RedisRateLimiter
from undersign.application.access.throttling import Count, Throttle, ThrottleLimits, key_id_of
from undersign.application.shared.errors import TooManyRequests
from undersign.entrypoints.container import build_container

WINDOW = 300


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url()


@pytest.fixture
async def two_processes(redis_url: str) -> AsyncIterator[tuple[RedisRateLimiter, RedisRateLimiter]]:
    """Two limiters with connections of their own, as two API processes have."""
    first, second = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    yield first, second
    await first.aclose()
    await second.aclose()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_one_process_sees_and_continues_the_other_processes_counts(two_processes) -> None:
    first, second = two_processes
    assert await second.peek("auth:ip:198.51.100.7") == Count(0, 0.0)

    await first.hit("auth:ip:198.51.100.7", WINDOW)
    await first.hit("auth:ip:198.51.100.7", WINDOW)
    seen = await second.peek("auth:ip:198.51.100.7")
    counted = await second.hit("auth:ip:198.51.100.7", WINDOW)

    assert seen.hits == 2 and 0 < seen.resets_in <= WINDOW
    assert counted.hits == 3 and 0 < counted.resets_in <= WINDOW
    assert (await first.peek("auth:ip:198.51.100.8")).hits == 0


async def test_concurrent_hits_from_two_processes_each_get_a_count_of_their_own(two_processes) -> None:
    first, second = two_processes
    counts = await asyncio.gather(*(limiter.hit("token:ip:203.0.113.5", WINDOW) for limiter in [first, second] * 25))
    assert sorted(count.hits for count in counts) == list(range(1, 51))


async def test_every_window_is_left_to_expire_in_redis(two_processes, raw) -> None:
    first, _ = two_processes
    for n in range(20):
        await first.hit(f"auth:ip:10.0.0.{n}", 60)
    keys = await raw.keys(f"{KEY_PREFIX}*")
    assert len(keys) == 20
    for key in keys:
        assert 0 < await raw.pttl(key) <= 60_000, key


async def test_a_client_blocked_through_one_process_is_refused_by_the_other(two_processes, raw) -> None:
    first, second = two_processes
    limits = ThrottleLimits(auth_failures=3, token_failures=3, window_seconds=WINDOW)
    one, other = Throttle(first, limits), Throttle(second, limits)
    key_id = key_id_of("usk_0f3a9c_theSecretPart")
    for _ in range(3):
        await one.authentication_failed("198.51.100.7", key_id)

    with pytest.raises(TooManyRequests) as refused:
        await other.check_api("198.51.100.7")
    assert 0 < refused.value.retry_after_seconds <= WINDOW
    assert await other.key_refusal(key_id) is not None  # the key id's failures, counted in the other process
    assert not [key for key in await raw.keys("*") if "theSecretPart" in key]


async def test_with_redis_down_nothing_is_throttled_and_nothing_fails() -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    throttle = Throttle(limiter, ThrottleLimits(auth_failures=1, window_seconds=WINDOW))
    try:
        assert await limiter.hit("auth:ip:198.51.100.7", WINDOW) == Count(0, 0.0)
        await throttle.authentication_failed("198.51.100.7", None)
        await throttle.check_api("198.51.100.7")
    finally:
        await limiter.aclose()


def test_the_container_counts_in_redis_when_it_is_configured(tmp_path: Path, redis_url: str) -> None:
    with_redis = build_container(settings_for(tmp_path / "a", UNDERSIGN_REDIS_URL=redis_url))
    embedded = build_container(settings_for(tmp_path / "b"))
    assert isinstance(with_redis.gateways.rate_limiter(), RedisRateLimiter)
    assert isinstance(embedded.gateways.rate_limiter(), MemoryRateLimiter)
    assert with_redis.use_cases().throttle is with_redis.use_cases().throttle  # one set of counts per process
