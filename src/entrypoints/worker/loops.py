"""Loops that background work runs in: again and again, at once while busy, after a pause when idle."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from undersign.application.background.dispatch import Dispatcher
from undersign.application.background.job_runner import DeadLettered, Done, JobOutcome, RetryLater
from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.jobs import Job

POLL_SECONDS = 0.2  # how soon an idle loop looks again: the delay a quiet outbox adds to a job
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


async def repeat(name: str, step: Callable[[], Awaitable[bool]], pause: float) -> None:
    """Run `step` again and again: at once while it finds work, after `pause` when it did not.

    A failing step is logged and tried again after a pause that doubles with each failure in
    a row (up to MAX_FAILURE_PAUSE_SECONDS): a database that is down is not hammered, and the
    log gets one line per try, not a stream of tracebacks. Only cancellation ends the loop.
    """
    failures = 0
    while True:
        try:
            busy = await step()
            failures = 0
        except asyncio.CancelledError:
            raise
        except ServiceUnavailable as error:  # expected in an outage: say so, without a traceback
            failures += 1
            log.warning("background loop waits for a service", loop=name, error=error.detail, failures=failures)
            busy = False
        except Exception:
            failures += 1
            log.exception("background loop failed; trying again", loop=name, failures=failures)
            busy = False
        if not busy:
            await asyncio.sleep(min(pause * 2**failures, max(pause, MAX_FAILURE_PAUSE_SECONDS)))


def dispatching(dispatcher: Dispatcher) -> Callable[[], Awaitable[bool]]:
    """The dispatcher as a loop step: busy while it found messages."""

    async def step() -> bool:
        return await dispatcher.dispatch() > 0

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
