"""Loops that background work runs in: again and again, at once while busy, after a pause when idle."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from application.dispatch import Dispatcher
from application.jobs import DeadLettered, Done, JobOutcome, RetryLater
from application.ports import Job

POLL_SECONDS = 0.2  # how soon an idle loop looks again: the delay a quiet outbox adds to a job
# A runner's own limit on a job outlasts the JobRunner's by this much: the JobRunner times an
# attempt out first, so that it counts as a failed attempt (retried, then a dead letter).
TIMEOUT_MARGIN_SECONDS = 5

log = structlog.get_logger("undersign.jobs")


async def repeat(name: str, step: Callable[[], Awaitable[bool]], pause: float) -> None:
    """Run `step` again and again: at once while it finds work, after `pause` when it did not.

    A failing step (the database down, say) is logged and tried again after the pause; only
    cancellation ends the loop.
    """
    while True:
        try:
            busy = await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop failed; trying again", loop=name)
            busy = False
        if not busy:
            await asyncio.sleep(pause)


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
