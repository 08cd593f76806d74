"""Throttling: how many failed authentications, signing-link guesses and (optionally) tenant
requests a while allows, and the port that keeps the counts.

Counts are kept in fixed windows per bucket: the first hit opens a window of
`window_seconds`, its hits add up until it ends, then the bucket starts afresh. A client past
its limit is refused until its window ends, which is the Retry-After it is told; being
refused counts nothing, so a client that waits gets its full allowance back.

Failures are counted after they happen and looked up before the next request does any work,
so a blocked client costs no database query. Requests already under way when the limit is
reached are not stopped: a client can overshoot by its number of concurrent requests.

Buckets are named after a client's address and an API key's id, never its secret, and never
after a signing token.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from undersign.application.access.api_keys import split_api_key
from undersign.application.shared.errors import TooManyRequests

TENANT_WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Count:
    hits: int
    resets_in: float  # seconds until the bucket's window ends; 0 when none is open


class RateLimiter(Protocol):
    """Hit counters per bucket, each in a window that ends on its own (so the store stays bounded)."""

    async def peek(self, bucket: str) -> Count:
        """The hits in `bucket`'s open window, counting none; Count(0, 0) if no window is open."""
        ...

    async def hit(self, bucket: str, window_seconds: int) -> Count:
        """Count one hit in `bucket`, opening a window of `window_seconds` if none is open, and
        return the count with it. Atomic: concurrent hits, from any process sharing the store,
        each see a count of their own."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleLimits:
    auth_failures: int = 20  # per client address and per API key id in a window; 0: not throttled
    token_failures: int = 20  # signing requests that found no working link (404, 410) per address in a window; 0: off
    window_seconds: int = 300
    tenant_requests_per_minute: int = 0  # 0: no tenant rate


class Throttle:
    """Which bucket each event counts in, and when a client is refused (TooManyRequests)."""

    def __init__(self, limiter: RateLimiter, limits: ThrottleLimits) -> None:
        self._limiter, self._limits = limiter, limits

    async def check_api(self, client: str) -> None:
        """Refuse an API request from an address that failed authentication too often.

        The whole address is refused, a valid key included: which key is valid is only known
        after the database was asked, which is the work the refusal saves."""
        await self._refuse_if_over(
            [_address_bucket(client)], self._limits.auth_failures,
            "too many failed authentications from your address",
        )

    async def key_refusal(self, key_id: str | None) -> TooManyRequests | None:
        """What to answer, instead of a 401, a wrong secret for a key id that failed too often.

        Only failures are refused: a key's id is not secret (audit trails name it), so a
        refusal of the id itself would let anyone lock its owner out. A right secret always
        gets through; guessing one (256 bits) was never the danger.
        """
        if key_id is None:
            return None
        try:
            await self._refuse_if_over(
                [_key_bucket(key_id)], self._limits.auth_failures, "too many failed authentications with this API key"
            )
        except TooManyRequests as refused:
            return refused
        return None

    async def authentication_failed(self, client: str, key_id: str | None) -> None:
        buckets = [_address_bucket(client)] + ([_key_bucket(key_id)] if key_id else [])
        await self._count(buckets, self._limits.auth_failures)

    async def check_signing(self, client: str) -> None:
        """Refuse a signing request from an address whose signing links too often led nowhere."""
        await self._refuse_if_over(
            _token_buckets(client), self._limits.token_failures,
            "too many signing links that do not work from your address",
        )

    async def signing_token_missed(self, client: str) -> None:
        """A signing request found nothing (404) or a link that no longer works (410)."""
        await self._count(_token_buckets(client), self._limits.token_failures)

    async def tenant_request(self, tenant_id: str) -> None:
        """Count an authenticated request against its tenant; refuse it past the tenant rate, if one is set."""
        limit = self._limits.tenant_requests_per_minute
        if not limit:
            return
        count = await self._limiter.hit(f"tenant:{tenant_id}", TENANT_WINDOW_SECONDS)
        if count.hits > limit:
            wait = _whole_seconds(count.resets_in)
            raise TooManyRequests(
                f"more than {limit} requests a minute for your organisation; try again in {wait} s",
                retry_after_seconds=wait,
            )

    async def _count(self, buckets: Sequence[str], limit: int) -> None:
        if limit:
            for bucket in buckets:
                await self._limiter.hit(bucket, self._limits.window_seconds)

    async def _refuse_if_over(self, buckets: Sequence[str], limit: int, reason: str) -> None:
        if not limit:
            return
        waits = [count.resets_in for count in [await self._limiter.peek(b) for b in buckets] if count.hits >= limit]
        if waits:
            wait = _whole_seconds(max(waits))
            raise TooManyRequests(f"{reason}; try again in {wait} s", retry_after_seconds=wait)


def key_id_of(presented: str) -> str | None:
    """The id of a presented API key, never its secret; None for anything else (then only the address counts)."""
    parts = split_api_key(presented)
    return parts[0] if parts else None


def _token_buckets(client: str) -> list[str]:
    return [f"token:ip:{client}"]


def _address_bucket(client: str) -> str:
    return f"auth:ip:{client}"


def _key_bucket(key_id: str) -> str:
    return f"auth:key:{key_id}"


def _whole_seconds(seconds: float) -> int:
    # Retry-After is whole seconds; rounding down would invite a retry that is refused again.
    return max(1, math.ceil(seconds))
