"""What a process read from the database a moment ago, trusted for that moment instead of read again.

For hot reads that every request makes (the API key behind each call): within `fresh_for`
of the read the copy is used, after it the next request reads again. So a change made by
another process (a revocation) is seen within `fresh_for`, without any message between
processes that could be lost; a change made here is forgotten at once (`forget`).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from undersign.application.shared.ports import Clock

K = TypeVar("K")
V = TypeVar("V")


class RecentlyRead(Generic[K, V]):
    def __init__(self, clock: Clock, *, fresh_for: timedelta, max_entries: int) -> None:
        """Past `max_entries` the oldest reads are forgotten: a forgotten one costs a read, nothing else."""
        self._clock, self._fresh_for, self._max_entries = clock, fresh_for, max_entries
        self._reads: OrderedDict[K, tuple[V, datetime]] = OrderedDict()  # oldest read first

    def get(self, key: K) -> V | None:
        """The value read under `key`, if it was read less than `fresh_for` ago."""
        read = self._reads.get(key)
        if read is None:
            return None
        value, at = read
        if not timedelta(0) <= self._clock.now() - at < self._fresh_for:  # also a clock set back
            del self._reads[key]
            return None
        return value

    def keep(self, key: K, value: V) -> None:
        self._reads.pop(key, None)
        while len(self._reads) >= self._max_entries:
            self._reads.popitem(last=False)
        self._reads[key] = (value, self._clock.now())

    def forget(self, key: K) -> None:
        self._reads.pop(key, None)
