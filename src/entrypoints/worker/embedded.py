"""The embedded default's background work, inside `undersign serve`: no Redis, no worker process.

Three loops in the server's event loop: the dispatcher (outbox to the database job
queue), the job loop (claims due jobs under a lease, runs them with the same JobRunner
as the arq worker, and finishes, retries or dead-letters them), and the schedule
(reminders and expiry). Jobs live in the database, so a server that dies loses none: a
claimed job whose lease runs out is claimed again after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from undersign.application.background.dispatch import Dispatcher
from undersign.application.background.job_runner import DeadLettered, Done, JobOutcome, JobRunner, RetryLater
from undersign.application.background.ports import ClaimedJob, JobStore
from undersign.application.background.schedules import Schedules
from undersign.application.shared.ports import Clock
from undersign.entrypoints.worker.loops import (
    POLL_SECONDS,
    TIMEOUT_MARGIN_SECONDS,
    dispatching,
    log,
    log_outcome,
    repeat,
)

CONCURRENCY = 4


class EmbeddedRunner:
    def __init__(
        self,
        dispatcher: Dispatcher,
        store: JobStore,
        runner: JobRunner,
        schedules: Schedules,
        clock: Clock,
        *,
        job_timeout_seconds: float,
        schedule_every: timedelta,
    ) -> None:
        self._dispatcher, self._store, self._runner, self._schedules = dispatcher, store, runner, schedules
        self._clock, self._job_timeout, self._schedule_every = clock, job_timeout_seconds, schedule_every
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()  # jobs being run, at most CONCURRENCY

    async def start(self) -> None:
        log.info("embedded job runner started", concurrency=CONCURRENCY)
        self._tasks = [
            asyncio.create_task(repeat("dispatcher", dispatching(self._dispatcher), POLL_SECONDS)),
            asyncio.create_task(repeat("jobs", self._run_due_jobs, POLL_SECONDS)),
            asyncio.create_task(repeat("schedule", self._run_schedule, self._schedule_every.total_seconds())),
        ]

    async def stop(self) -> None:
        """Jobs cut short keep their lease: they run again, as their next attempt, once it ends."""
        tasks = [*self._tasks, *self._running]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._running = [], set()

    async def _run_due_jobs(self) -> bool:
        """Claim as many due jobs as there are free slots and start them; a slow one holds up only its slot."""
        free = CONCURRENCY - len(self._running)
        if free == 0:
            return False
        claimed = await self._store.claim(
            now=self._clock.now(), limit=free, lease_seconds=self._job_timeout + 2 * TIMEOUT_MARGIN_SECONDS
        )
        for job in claimed:
            task = asyncio.create_task(self._run(job))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(claimed) == free  # all slots taken: look again as soon as one frees

    async def _run(self, claimed: ClaimedJob) -> None:
        try:
            await self._attempt(claimed)
        except Exception:  # settling failed (the database down, say): the lease brings the job back
            log.exception("job could not be settled; it runs again when its lease ends", job_id=claimed.job.id)

    async def _attempt(self, claimed: ClaimedJob) -> None:
        job = claimed.job
        try:
            # The JobRunner times the attempt out itself; this is the backstop for a runner that cannot.
            outcome = await asyncio.wait_for(self._runner.run(job, claimed.attempt), self._job_timeout + TIMEOUT_MARGIN_SECONDS)
        except TimeoutError:
            # Left leased: it comes back as its next attempt when the lease ends.
            log.error("job did not end", job=job.name, job_id=job.id, attempt=claimed.attempt)
            return
        await settle(self._store, self._clock, claimed, outcome)

    async def _run_schedule(self) -> bool:
        sweeps = (
            ("reminders", self._schedules.send_reminders),
            ("expiry", self._schedules.expire_envelopes),
            ("outbox", self._schedules.purge_outbox),
        )
        for name, sweep in sweeps:
            try:  # each on its own: reminders that fail do not hold expiry up
                count = await sweep()
            except Exception:
                log.exception("scheduled sweep failed; it runs again next time", sweep=name)
            else:
                log.info("scheduled sweep done", sweep=name, count=count)
        return False


async def settle(store: JobStore, clock: Clock, claimed: ClaimedJob, outcome: JobOutcome) -> None:
    """Record what became of an attempt in the job store, and say so in the log."""
    match outcome:
        case RetryLater(delay=delay):
            await store.retry(claimed.job.id, at=clock.now() + delay)
        case Done() | DeadLettered():
            await store.finish(claimed.job.id)
    log_outcome(claimed.job, claimed.attempt, outcome)
