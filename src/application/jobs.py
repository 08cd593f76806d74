"""Running background jobs: which handler does a job, and what happens when it fails.

The same JobRunner serves both runners: the arq worker in production and the in-process
runner of the embedded default. A failed job is tried again after an exponential backoff
with jitter; after its last attempt it goes to the dead letters, for an operator to
replay. Handlers are idempotent: a job may run again after a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from application.ports import Clock, DeadLetter, IdGenerator, Job, JobQueue
from application.unit_of_work import UnitOfWorkFactory
from domain.errors import NotFound

JobHandler = Callable[[dict[str, str]], Awaitable[None]]

SEAL_ENVELOPE = "seal_envelope"
SEND_NOTICE = "send_notice"
DELIVER_WEBHOOK = "deliver_webhook"

MAX_ERROR_LENGTH = 2_000


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


class UnknownJob(NotFound):
    code = "unknown_job"


class JobRunner:
    """Runs one attempt of a job and says what should happen next."""

    def __init__(
        self,
        handlers: Mapping[str, JobHandler],
        uow: UnitOfWorkFactory,
        clock: Clock,
        retry: RetryPolicy,
        random_fraction: Callable[[], float],
        *,
        timeout_seconds: float,
        on_give_up: Mapping[str, JobHandler] | None = None,
    ) -> None:
        """An attempt longer than `timeout_seconds` fails like any other (it is retried, then kept).

        `on_give_up[name]` runs, with the job's args, when a job of that name fails for the last time.
        """
        self._handlers, self._uow, self._clock = handlers, uow, clock
        self._retry, self._random, self._timeout = retry, random_fraction, timeout_seconds
        self._on_give_up = on_give_up or {}

    async def run(self, job: Job, attempt: int) -> JobOutcome:
        handler = self._handlers.get(job.name)
        try:
            if handler is None:
                raise UnknownJob(f"no handler for jobs named {job.name!r}")
            async with asyncio.timeout(self._timeout):
                await handler(job.args)
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
        if (give_up := self._on_give_up.get(job.name)) is not None:
            await give_up(job.args)
        return DeadLettered(error=reason)


def again(job: Job, ids: IdGenerator, *, why: str) -> Job:
    """The same work as a new job: a queue may still remember the old id as done (arq keeps it a day).

    The new id is the first one's with `:why:` and a fresh suffix, however often the job is run again.
    """
    first_id = job.id.split(f":{why}:")[0]
    return replace(job, id=f"{first_id}:{why}:{ids.new_id()}")


class DeadLetterOffice:
    """Operators' view of the jobs that failed for good: list them, replay them."""

    def __init__(self, uow: UnitOfWorkFactory, queue: JobQueue, ids: IdGenerator) -> None:
        self._uow, self._queue, self._ids = uow, queue, ids

    async def list(self, *, limit: int = 100) -> list[DeadLetter]:
        async with self._uow() as uow:
            return await uow.dead_letters.list(limit=limit)

    async def replay_all(self) -> list[Job]:
        """Replay every dead letter, those kept while this runs included; the jobs queued."""
        queued: list[Job] = []
        while letters := await self.list(limit=100):
            queued += [await self.replay(letter.id) for letter in letters]
        return queued

    async def replay(self, letter_id: str) -> Job:
        """Queue the job again, as a fresh job with all its attempts, and forget the dead letter."""
        async with self._uow() as uow:
            letter = await uow.dead_letters.get(letter_id)
            if letter is None:
                raise NotFound(f"no dead letter {letter_id}")
            job = again(letter.job, self._ids, why="replay")
            await self._queue.enqueue([job])
            await uow.dead_letters.delete(letter_id)
            await uow.commit()
        return job
