"""Loops that background work runs in: again and again, at once while busy, after a pause when idle."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from undersign.application.background.dispatch import BATCH_SIZE, Dispatcher
from undersign.application.background.job_runner import DeadLettered, Done, JobOutcome, RetryLater
from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.jobs import Job
from undersign.entrypoints.worker.doorbell import Doorbell

POLL_SECONDS = 0.2  # how soon an idle loop looks again: the delay a quiet outbox adds to a job
# How soon an idle loop with a doorbell looks again: the doorbell brings what this process writes at
# once, so the looks are for what other processes write and for jobs that come due later.
DOORBELL_POLL_SECONDS = 1.0
# How long a rung dispatcher waits for the messages committed with the one that rang: one dispatch
# then takes several envelopes' messages under load (four at a time: a third fewer dispatches).
GATHER_SECONDS = 0.1
# A runner's own limit on a job outlasts the JobRunner's by this much: the JobRunner times an
# attempt out first, so that it counts as a failed attempt (retried, then a dead letter).
TIMEOUT_MARGIN_SECONDS = 5
# A running job's lease, renewed every HEARTBEAT_SECONDS while it runs: a job whose runner died
# (killed, its machine gone) is taken up again within LEASE_SECONDS, while a slow job that is
# still running keeps its lease, however long it takes, and is never run twice at once.
LEASE_SECONDS = 15
HEARTBEAT_SECONDS = 5
MAX_FAILURE_PAUSE_SECONDS = 10

log = structlog.get_logger("undersign.jobs")


async def repeat(
    name: str, step: Callable[[], Awaitable[bool]], pause: float, *, doorbell: Doorbell | None = None,
    gather: float = 0.0,
) -> None:
    """Run `step` again and again: at once while it finds work, after `pause` (or a ring of `doorbell`, and
    `gather` seconds more) when it did not.

    A failing step is logged and tried again after a pause that doubles with each failure in
    a row (up to MAX_FAILURE_PAUSE_SECONDS), which no ring cuts short: a database that is down
    is not hammered, and the log gets one line per try, not a stream of tracebacks. Only
    cancellation ends the loop.
    """
    with doorbell.listener() if doorbell is not None else contextlib.nullcontext() as rung:
        failures = 0
        while True:
            if rung is not None:
                rung.clear()  # a ring from now on is for what this step may not see
            busy = await _look(name, step, failures)
            failures = 0 if busy is not None else failures + 1
            if busy:
                continue
            delay = min(pause * 2**failures, max(pause, MAX_FAILURE_PAUSE_SECONDS))
            if rung is None or failures:
                await asyncio.sleep(delay)
            elif await _rung_within(rung, delay):
                await asyncio.sleep(gather)


async def _look(name: str, step: Callable[[], Awaitable[bool]], failures: int) -> bool | None:
    """Whether `step` found work; None if it failed (logged, as failure `failures` + 1 in a row)."""
    try:
        return await step()
    except asyncio.CancelledError:
        raise
    except ServiceUnavailable as error:  # expected in an outage: say so, without a traceback
        log.warning("background loop waits for a service", loop=name, error=error.detail, failures=failures + 1)
    except Exception:
        log.exception("background loop failed; trying again", loop=name, failures=failures + 1)
    return None


async def _rung_within(rung: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await rung.wait()
            return True
    return False


def dispatching(dispatcher: Dispatcher) -> Callable[[], Awaitable[bool]]:
    """The dispatcher as a loop step: busy while it found a full batch (a smaller one took all there was)."""

    async def step() -> bool:
        return await dispatcher.dispatch() >= BATCH_SIZE

    return step


def log_outcome(job: Job, attempt: int, outcome: JobOutcome) -> None:
    match outcome:
        case Done():
            log.info("job done", job=job.name, job_id=job.id, attempt=attempt)
        case RetryLater(delay=delay, error=error):
            log.warning("job failed, will retry", job=job.name, job_id=job.id, attempt=attempt,
                        retry_in_seconds=round(delay.total_seconds(), 3), error=error)
        case DeadLettered(error=error):
            log.error("job failed for the last time: kept as a dead letter", job=job.name, job_id=job.id,
                      attempt=attempt, error=error)
