"""`undersign worker`: runs jobs from Redis with arq, dispatches the outbox, and runs the schedule as arq cron jobs.

Any number of workers may run: arq gives each queued job to one of them, the dispatchers
queue each job under its stable id (arq keeps one), and the cron jobs are unique per run.
A worker killed mid-job leaves the job in the queue; arq hands it out again once the
job's in-progress mark expires (its timeout plus ten seconds), as its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from arq import cron, func
from arq.worker import Retry, Worker

from adapters.queue.arq_queue import KEEP_RESULT, RUN_JOB, redis_settings
from application.jobs import DeadLettered, Done, RetryLater
from application.ports import Job
from entrypoints.container import Container, shutdown
from entrypoints.worker.loops import POLL_SECONDS, dispatching, repeat

log = structlog.get_logger("undersign.jobs")

MAX_JOBS = 10  # jobs run at once in one worker process
# arq refuses a job tried more often than this without running it; ours dead-letters it first.
ARQ_TRY_MARGIN = 5


async def run_job(ctx: dict[str, Any], name: str, args: dict[str, str]) -> None:
    container: Container = ctx["container"]
    job, attempt = Job(id=ctx["job_id"], name=name, args=args), ctx["job_try"]
    outcome = await container.use_cases.job_runner().run(job, attempt)
    match outcome:
        case Done():
            log.info("job done", job=name, job_id=job.id, attempt=attempt)
        case RetryLater(delay=delay, error=error):
            log.warning("job failed, will retry", job=name, job_id=job.id, attempt=attempt,
                        retry_in_seconds=round(delay.total_seconds(), 3), error=error)
            raise Retry(defer=delay)
        case DeadLettered(error=error):
            log.error("job failed for the last time: kept as a dead letter", job=name, job_id=job.id,
                      attempt=attempt, error=error)


async def send_reminders(ctx: dict[str, Any]) -> None:
    reminded = await ctx["container"].use_cases.schedules().send_reminders()
    log.info("reminders sent", reminded=reminded)


async def expire_envelopes(ctx: dict[str, Any]) -> None:
    expired = await ctx["container"].use_cases.schedules().expire_envelopes()
    log.info("envelopes expired", expired=expired)


def build_worker(container: Container, *, burst: bool = False) -> Worker:
    settings = container.settings()
    if settings.redis_url is None:
        raise ValueError("UNDERSIGN_REDIS_URL is not set")
    minutes = set(range(0, 60, settings.schedule_minutes))

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["container"] = container
        container.gateways.pdf_signer()  # the PKI and the seal key, before the first job
        dispatcher = container.use_cases.dispatcher()
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
        functions=[func(run_job, name=RUN_JOB, max_tries=settings.job_max_attempts + ARQ_TRY_MARGIN)],
        cron_jobs=[
            cron(send_reminders, minute=minutes, run_at_startup=True),
            cron(expire_envelopes, minute=minutes, run_at_startup=True),
        ],
        redis_settings=redis_settings(settings.redis_url),
        on_startup=startup,
        on_shutdown=stop,
        job_timeout=settings.job_timeout_seconds,
        keep_result=KEEP_RESULT,
        max_jobs=MAX_JOBS,
        burst=burst,
        handle_signals=True,
    )

