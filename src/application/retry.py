"""Retrying a whole unit of work when another writer got there first."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.errors import ConcurrencyConflict

MAX_ATTEMPTS = 12

T = TypeVar("T")


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run `attempt` again, after a short jittered pause, each time it hits a conflict.

    Parallel signers of one envelope all write to the same documents, so all but one of
    them lose each round; each retry starts again from fresh state.
    """
    for tries in range(1, attempts + 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if tries == attempts:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2 ** min(tries, 6)))
    raise AssertionError("unreachable")
