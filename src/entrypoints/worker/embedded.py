"""The embedded default's background work, inside `undersign serve`: no Redis, no worker process.

Loops in the server's event loop: the dispatcher (outbox to the database job queue), a job
loop per lane (claims the lane's due jobs under a short lease that a heartbeat renews while
each runs, runs them with the same JobRunner as the arq worker, and finishes, retries or
dead-letters them), and the schedule (reminders and expiry). Each lane has slots of its own:
a seal starts at once even while every routine slot waits on a slow webhook endpoint. The
retention run (application.retention.purge) is part of the schedule too, once a day.

Jobs live in the database, so a server that dies loses none: its jobs' leases are no longer
renewed, and each is claimed again, by another process or after the restart, within
LEASE_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from undersign.application.background.dispatch import Dispatcher
from undersign.application.background.job_runner import DeadLettered, Done, JobOutcome, JobRunner, RetryLater
from undersign.application.background.ports import ClaimedJob, JobStore
from undersign.application.background.schedules import Schedules
from undersign.application.shared.jobs import JobLane
from undersign.application.shared.ports import Clock
from undersign.entrypoints.worker.doorbell import Doorbell, LaneDoorbells
from undersign.entrypoints.worker.loops import (
    DOORBELL_POLL_SECONDS,
    GATHER_SECONDS,
    HEARTBEAT_SECONDS,
    LEASE_SECONDS,
    POLL_SECONDS,
    TIMEOUT_MARGIN_SECONDS,
    dispatching,
    log,
    log_outcome,
    repeat,
)

# Jobs run at once, per lane.
SLOTS = {JobLane.URGENT: 2, JobLane.ROUTINE: 4}
# How often the schedule runs the retention run: the first time when the server starts, then daily.
RETENTION_EVERY = timedelta(days=1)


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
        lease_seconds: float = LEASE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        outbox_doorbell: Doorbell | None = None,
        lane_doorbells: LaneDoorbells | None = None,
    ) -> None:
        """The doorbells, rung by this process's outbox writes and by the jobs it queues in each lane, wake the
        loops at once: the loops then look on their own only every DOORBELL_POLL_SECONDS, for other processes'
        work and for jobs that come due later."""
        self._dispatcher, self._store, self._runner, self._schedules = dispatcher, store, runner, schedules
        self._clock, self._job_timeout, self._schedule_every = clock, job_timeout_seconds, schedule_every
        self._lease, self._heartbeat = timedelta(seconds=lease_seconds), heartbeat_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[JobLane, set[asyncio.Task[None]]] = {lane: set() for lane in SLOTS}  # jobs being run
        self._retention_next: datetime | None = None  # None: at the schedule's first run
        self._outbox_doorbell, self._lane_doorbells = outbox_doorbell, lane_doorbells

    async def start(self) -> None:
        log.info("embedded job runner started", slots={lane.value: n for lane, n in SLOTS.items()})
        self._tasks = [
            asyncio.create_task(
                repeat("dispatcher", dispatching(self._dispatcher), self._pause(self._outbox_doorbell),
                       doorbell=self._outbox_doorbell, gather=GATHER_SECONDS)
            ),
            *(
                asyncio.create_task(
                    repeat(f"jobs:{lane}", self._due_jobs_of(lane), self._pause(self._lane_doorbell(lane)),
                           doorbell=self._lane_doorbell(lane))
                )
                for lane in SLOTS
            ),
            asyncio.create_task(repeat("schedule", self._run_schedule, self._schedule_every.total_seconds())),
        ]

    async def stop(self) -> None:
        """Jobs cut short keep their lease: they run again, as their next attempt, once it ends."""
        tasks = [*self._tasks, *(task for running in self._running.values() for task in running)]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._running = {lane: set() for lane in SLOTS}

    @staticmethod
    def _pause(doorbell: Doorbell | None) -> float:
        return POLL_SECONDS if doorbell is None else DOORBELL_POLL_SECONDS

    def _lane_doorbell(self, lane: JobLane) -> Doorbell | None:
        return None if self._lane_doorbells is None else self._lane_doorbells[lane]

    def _due_jobs_of(self, lane: JobLane) -> Callable[[], Awaitable[bool]]:
        """The loop step of one lane: claim as many of its due jobs as it has free slots and start them."""
        running = self._running[lane]

        async def step() -> bool:
            free = SLOTS[lane] - len(running)
            if free == 0:
                return False
            claimed = await self._store.claim(
                lane=lane, now=self._clock.now(), limit=free, lease_seconds=self._lease.total_seconds()
            )
            for job in claimed:
                task = asyncio.create_task(self._run(job))
                running.add(task)
                task.add_done_callback(self._slot_freed(lane, running))
            return len(claimed) == free  # all slots taken: look again as soon as one frees

        return step

    def _slot_freed(self, lane: JobLane, running: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
        """A finished job's callback: its slot is free, and a lane that was full looks for its next job at once."""

        def freed(task: asyncio.Task[None]) -> None:
            was_full = len(running) == SLOTS[lane]
            running.discard(task)
            doorbell = self._lane_doorbell(lane)
            if was_full and doorbell is not None:
                doorbell.ring()

        return freed

    async def _run(self, claimed: ClaimedJob) -> None:
        lease_lost = asyncio.Event()
        heartbeat = asyncio.create_task(self._keep_leased(claimed, asyncio.current_task(), lease_lost))
        try:
            await self._attempt(claimed)
        except asyncio.CancelledError:
            if not lease_lost.is_set():
                raise  # the runner stops: the job keeps its lease, and runs again once it ends
            log.error("job lost its lease to another runner: stopped here", job=claimed.job.name,
                      job_id=claimed.job.id, attempt=claimed.attempt)
        except Exception:  # settling failed (the database down, say): the lease brings the job back
            log.exception("job could not be settled; it runs again when its lease ends", job_id=claimed.job.id)
        finally:
            heartbeat.cancel()

    async def _keep_leased(self, claimed: ClaimedJob, work: asyncio.Task | None, lost: asyncio.Event) -> None:
        """Renew the job's lease every heartbeat while it runs; stop `work` if another runner holds the job now
        (this runner stalled past its lease), so that it does not run twice at once for long."""
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                held = await self._store.renew(claimed.job.id, attempt=claimed.attempt, until=self._clock.now() + self._lease)
            except Exception:  # the database down: try again at the next beat, the lease may still hold
                log.warning("job lease not renewed; trying again", job_id=claimed.job.id, exc_info=True)
                continue
            if not held and work is not None:
                lost.set()
                work.cancel()
                return

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
        sweeps: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            ("reminders", self._schedules.send_reminders),
            ("expiry", self._schedules.expire_envelopes),
            ("outbox", self._schedules.purge_outbox),
        ]
        now = self._clock.now()
        if self._retention_next is None or now >= self._retention_next:
            self._retention_next = now + RETENTION_EVERY
            sweeps.append(("retention", self._schedules.purge_documents))
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
