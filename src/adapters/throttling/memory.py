"""Throttling counts in this process's memory: the embedded default, one API process.

An attacker rotating through addresses or key ids makes a new bucket with each request, so
the number of buckets is capped: past the cap the oldest window is forgotten. That can
forget a client that was blocked (it gets its allowance back early); memory that grows
without limit would take the whole process down instead.
"""

from __future__ import annotations

from collections import OrderedDict

from undersign.application.access.throttling import Count
from undersign.application.shared.ports import Clock

MAX_BUCKETS = 100_000  # a few hundred bytes each: tens of megabytes at most


class MemoryRateLimiter:
    """A RateLimiter on a dict; every call runs without awaiting, so each is atomic on the event loop."""

    def __init__(self, clock: Clock, *, max_buckets: int = MAX_BUCKETS) -> None:
        self._clock, self._max_buckets = clock, max_buckets
        # bucket -> [hits, end of window in seconds]; in the order windows opened, oldest first
        self._windows: OrderedDict[str, list[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    async def peek(self, bucket: str) -> Count:
        now = self._now()
        window = self._open_window(bucket, now)
        return Count(0, 0.0) if window is None else Count(int(window[0]), window[1] - now)

    async def hit(self, bucket: str, window_seconds: int) -> Count:
        now = self._now()
        self._forget_ended(now)
        window = self._open_window(bucket, now)
        if window is None:
            while len(self._windows) >= self._max_buckets:
                self._windows.popitem(last=False)
            window = self._windows[bucket] = [0, now + window_seconds]
        window[0] += 1
        return Count(int(window[0]), window[1] - now)

    def _open_window(self, bucket: str, now: float) -> list[float] | None:
        window = self._windows.get(bucket)
        if window is not None and window[1] <= now:
            del self._windows[bucket]
            return None
        return window

    def _forget_ended(self, now: float) -> None:
        # Windows mostly end in the order they opened, so ended ones gather at the front.
        while self._windows:
            oldest = next(iter(self._windows.values()))
            if oldest[1] > now:
                return
            self._windows.popitem(last=False)

    def _now(self) -> float:
        return self._clock.now().timestamp()
