"""Throttling counts in Redis, shared by every API process that names the same server.

A hit is one Lua script (INCR, and PEXPIRE when it opened the window), so concurrent hits
from any process each get their own count and no key is left without an expiry: Redis
forgets every window on its own, however many addresses an attacker rotates through.

If Redis does not answer, nothing is throttled and the API stays up (a warning says so, at
most every WARN_EVERY seconds): throttling guards against guessing secrets that cannot be
guessed in practice anyway, and refusing every request would turn a Redis outage into a
full one.
"""

from __future__ import annotations

import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from undersign.application.access.throttling import Count

KEY_PREFIX = "undersign:throttle:"
TIMEOUT_SECONDS = 1.0  # every request waits on this: a slow Redis must not stall the API
WARN_EVERY = 30.0

HIT = """
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
"""

log = structlog.get_logger("undersign.throttling")


class RedisRateLimiter:
    """A RateLimiter on Redis; the connection opens on first use."""

    def __init__(self, url: str) -> None:
        self._redis = Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        self._hit = self._redis.register_script(HIT)
        self._warned_at = -WARN_EVERY

    async def peek(self, bucket: str) -> Count:
        key = KEY_PREFIX + bucket
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                hits, ttl = await pipe.get(key).pttl(key).execute()
        except (RedisError, OSError) as error:
            return self._unavailable(error)
        return Count(int(hits), max(ttl, 0) / 1000) if hits else Count(0, 0.0)

    async def hit(self, bucket: str, window_seconds: int) -> Count:
        try:
            hits, ttl = await self._hit(keys=[KEY_PREFIX + bucket], args=[window_seconds * 1000])
        except (RedisError, OSError) as error:
            return self._unavailable(error)
        return Count(int(hits), int(ttl) / 1000)

    async def aclose(self) -> None:
        await self._redis.aclose()

    def _unavailable(self, error: Exception) -> Count:
        if time.monotonic() - self._warned_at >= WARN_EVERY:
            self._warned_at = time.monotonic()
            log.warning("Redis does not answer: requests are not throttled", error_type=type(error).__name__)
        return Count(0, 0.0)
