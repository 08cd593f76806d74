"""Running background jobs: which handler does a job, and what happens when it fails.

The same JobRunner serves both runners: the arq worker in production and the in-process
runner of the embedded default. A failed job is tried again after an exponential backoff
with jitter; after its last attempt it goes to the dead letters, for an operator to
replay. Handlers are idempotent: a job may run again after a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job, JobLane, JobPayload, UnknownJob
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory

MAX_ERROR_LENGTH = 2_000


JobHandler = Callable[[Any], Awaitable[None]]  # takes the payload of the kind it is registered for


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Attempt n (from 1) that fails waits base * 2^(n-1), at most `cap`, of which the upper half is random."""

    max_attempts: int = 10
    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempt: int, random_fraction: float) -> timedelta:
        """The pause after failed attempt `attempt`; `random_fraction` in [0, 1) spreads retries that failed together."""
        # In seconds, capped before it becomes a timedelta: 2^n grows past timedelta's range.
        ceiling = timedelta(seconds=min(self.cap.total_seconds(), self.base.total_seconds() * 2.0 ** min(attempt - 1, 64)))
        return ceiling / 2 + ceiling / 2 * random_fraction


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryLater:
    delay: timedelta
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLettered:
    error: str


JobOutcome = Done | RetryLater | DeadLettered


class JobRunner:
    """Runs one attempt of a job and says what should happen next."""

    def __init__(
        self,
        handlers: Mapping[type[JobPayload], JobHandler],
        uow: UnitOfWorkFactory,
        clock: Clock,
        retry: RetryPolicy,
        random_fraction: Callable[[], float],
        *,
        timeout_seconds: float,
        on_give_up: Mapping[type[JobPayload], JobHandler] | None = None,
    ) -> None:
        """An attempt longer than `timeout_seconds` fails like any other (it is retried, then kept).

        `on_give_up[kind]` runs, with the job's payload, when a job of that kind fails for the last time.
        """
        self._kinds = {kind.name: kind for kind in handlers}
        self._handlers, self._uow, self._clock = handlers, uow, clock
        self._retry, self._random, self._timeout = retry, random_fraction, timeout_seconds
        self._on_give_up = on_give_up or {}

    def lane_of(self, job: Job) -> JobLane:
        """The lane of the job's kind: a job read back from where no lane is kept (a dead letter) goes back to it."""
        kind = self._kinds.get(job.name)
        return kind.lane if kind is not None else JobLane.ROUTINE

    async def run(self, job: Job, attempt: int) -> JobOutcome:
        kind = self._kinds.get(job.name)
        try:
            if kind is None:
                raise UnknownJob(f"no handler for jobs named {job.name!r}")
            payload = kind.of(job)
            async with asyncio.timeout(self._timeout):
                await self._handlers[kind](payload)
        except TimeoutError:
            return await self._failed(job, attempt, TimeoutError(f"no result within {self._timeout:g} s"))
        except Exception as error:  # a job's failure, whatever it is, is retried or kept: never lost
            return await self._failed(job, attempt, error)
        return Done()

    async def _failed(self, job: Job, attempt: int, error: Exception) -> JobOutcome:
        reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
        if attempt < self._retry.max_attempts and not isinstance(error, UnknownJob):
            return RetryLater(delay=self._retry.delay(attempt, self._random()), error=reason)
        async with self._uow() as uow:
            await uow.dead_letters.add(
                DeadLetter(id=job.id, job=job, attempts=attempt, error=reason, failed_at=self._clock.now())
            )
            await uow.commit()
        # After the dead letter is kept: if the hook fails, the job comes back and is kept again (same id).
        kind = self._kinds.get(job.name)
        if kind is not None and (give_up := self._on_give_up.get(kind)) is not None:
            await give_up(kind.of(job))
        return DeadLettered(error=reason)
