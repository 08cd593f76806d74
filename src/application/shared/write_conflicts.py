"""Retrying a whole unit of work when another writer got there first."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.domain.errors import ConcurrencyConflict

MAX_ATTEMPTS = 12


MAX_PAUSE_SECONDS = 5.0


T = TypeVar("T")


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run `attempt` again, after a jittered pause, each time it hits a conflict.

    A conflict means another writer saved the same envelope first (signers of one envelope
    take turns, so it is a decline, a void or another process without row locks); each
    retry starts again from fresh state. The pause is drawn from a window that doubles
    with each try and starts as long as the lost attempt took, so slow rivals are waited
    out longer than quick ones.
    """
    loop = asyncio.get_running_loop()
    for tries in range(1, attempts + 1):
        started = loop.time()
        try:
            return await attempt()
        except ConcurrencyConflict:
            if tries == attempts:
                raise
            window = max(0.01, loop.time() - started) * 2 ** (tries - 1)
            await asyncio.sleep(random.uniform(0, min(window, MAX_PAUSE_SECONDS)))
    raise AssertionError("unreachable")


async def in_fresh_unit_of_work(uow: UnitOfWorkFactory, act: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`act` in a unit of work of its own, again from fresh state if another writer got there first."""

    async def attempt() -> T:
        async with uow() as unit:
            return await act(unit)

    return await retry_on_conflict(attempt)
