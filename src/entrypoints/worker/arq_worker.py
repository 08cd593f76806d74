"""`undersign worker`: runs jobs from Redis with arq, dispatches the outbox, and runs the schedule as arq cron jobs.

Any number of workers may run: arq gives each queued job to one of them, the dispatchers
queue each job under its stable id (arq keeps one), and the cron jobs are unique per run.
A worker killed mid-job leaves the job in the queue; arq hands it out again once the
job's in-progress mark expires (UNDERSIGN_JOB_TIMEOUT_SECONDS + 15 s), as its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from arq import cron, func
from arq.worker import Retry, Worker

from undersign.adapters.queue.arq_queue import KEEP_RESULT, RUN_JOB, redis_settings
from undersign.application.background.job_runner import RetryLater
from undersign.application.shared.jobs import Job
from undersign.entrypoints.container import Container, shutdown
from undersign.entrypoints.worker.loops import (
    POLL_SECONDS,
    TIMEOUT_MARGIN_SECONDS,
    dispatching,
    log,
    log_outcome,
    repeat,
)

MAX_JOBS = 10  # jobs run at once in one worker process
# arq drops, unrun and unrecorded, a job tried more often than its max_tries. Ours are kept as
# dead letters by the JobRunner after UNDERSIGN_JOB_MAX_ATTEMPTS, so arq's limit is only ever
# reached by a job whose worker keeps dying under it: tries cost nothing to count, so it is high.
ARQ_MAX_TRIES = 1_000


async def run_job(ctx: dict[str, Any], name: str, args: dict[str, str]) -> None:
    container: Container = ctx["container"]
    job, attempt = Job(id=ctx["job_id"], name=name, args=args), ctx["job_try"]
    try:
        outcome = await container.use_cases().job_runner.run(job, attempt)
    except Exception:  # the runner could not even record the failure (its database down, say): later
        log.exception("job could not be run or kept; will try again", job=name, job_id=job.id, attempt=attempt)
        raise Retry(defer=container.settings().job_retry_base_seconds) from None
    log_outcome(job, attempt, outcome)
    if isinstance(outcome, RetryLater):
        raise Retry(defer=outcome.delay)


async def send_reminders(ctx: dict[str, Any]) -> None:
    reminded = await ctx["container"].use_cases().schedules.send_reminders()
    log.info("reminders sent", reminded=reminded)


async def expire_envelopes(ctx: dict[str, Any]) -> None:
    expired = await ctx["container"].use_cases().schedules.expire_envelopes()
    log.info("envelopes expired", expired=expired)


async def purge_outbox(ctx: dict[str, Any]) -> None:
    purged = await ctx["container"].use_cases().schedules.purge_outbox()
    log.info("outbox purged", purged=purged)


def build_worker(container: Container, *, burst: bool = False) -> Worker:
    settings = container.settings()
    if settings.redis_url is None:
        raise ValueError("UNDERSIGN_REDIS_URL is not set")
    minutes = set(range(0, 60, settings.schedule_minutes))

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["container"] = container
        dispatcher = container.use_cases().dispatcher
        ctx["dispatcher"] = asyncio.create_task(repeat("dispatcher", dispatching(dispatcher), POLL_SECONDS))
        log.info("worker started", max_jobs=MAX_JOBS)

    async def stop(ctx: dict[str, Any]) -> None:
        task = ctx.get("dispatcher")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await shutdown(container)

    return Worker(
        functions=[func(run_job, name=RUN_JOB, max_tries=max(ARQ_MAX_TRIES, settings.job_max_attempts + 1))],
        cron_jobs=[
            cron(send_reminders, minute=minutes, run_at_startup=True),
            cron(expire_envelopes, minute=minutes, run_at_startup=True),
            cron(purge_outbox, hour={3}, minute={17}),  # once a day, at a quiet hour
        ],
        redis_settings=redis_settings(settings.redis_url),
        on_startup=startup,
        on_shutdown=stop,
        job_timeout=settings.job_timeout_seconds + TIMEOUT_MARGIN_SECONDS,  # the JobRunner times out first
        keep_result=KEEP_RESULT,
        max_jobs=MAX_JOBS,
        burst=burst,
        handle_signals=True,
    )

