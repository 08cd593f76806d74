"""`undersign worker`: runs jobs from Redis with arq, dispatches the outbox, and runs the schedule as arq cron jobs.

One process runs an arq worker per lane (application.shared.jobs.JobLane), each on its own
queue with its own job slots: seals are never queued behind emails and webhook deliveries.
Any number of worker processes may run: arq gives each queued job to one of them, the dispatchers
queue each job under its stable id (arq keeps one), and the cron jobs are unique per run.
A worker killed mid-job leaves the job in the queue; arq hands it out again once the job's
in-progress mark expires, as its next try: a running job renews that mark (keep_in_progress),
so it expires within LEASE_SECONDS of the worker's death.
"""

from __future__ import annotations

import asyncio
import contextlib
from signal import Signals
from typing import Any

from arq import ArqRedis, cron, func
from arq.constants import in_progress_key_prefix
from arq.worker import Retry, Worker
from redis.exceptions import RedisError

from undersign.adapters.queue.arq_queue import KEEP_RESULT, QUEUE_NAMES, RUN_JOB, redis_settings
from undersign.application.background.job_runner import RetryLater
from undersign.application.shared.jobs import Job, JobLane
from undersign.entrypoints.container import Container, shutdown
from undersign.entrypoints.worker.loops import (
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

# Jobs run at once in one worker process, per lane.
MAX_JOBS = {JobLane.URGENT: 4, JobLane.ROUTINE: 10}
# arq drops, unrun and unrecorded, a job tried more often than its max_tries. Ours are kept as
# dead letters by the JobRunner after UNDERSIGN_JOB_MAX_ATTEMPTS, so arq's limit is only ever
# reached by a job whose worker keeps dying under it: tries cost nothing to count, so it is high.
ARQ_MAX_TRIES = 1_000
RETENTION_TIMEOUT_SECONDS = 3 * 3600


async def run_job(ctx: dict[str, Any], name: str, args: dict[str, str]) -> None:
    container: Container = ctx["container"]
    job, attempt = Job(id=ctx["job_id"], name=name, args=args), ctx["job_try"]
    heartbeat = asyncio.create_task(keep_in_progress(ctx["redis"], job.id))
    try:
        outcome = await container.use_cases().job_runner.run(job, attempt)
    except Exception:  # the runner could not even record the failure (its database down, say): later
        log.exception("job could not be run or kept; will try again", job=name, job_id=job.id, attempt=attempt)
        raise Retry(defer=container.settings().job_retry_base_seconds) from None
    finally:
        heartbeat.cancel()
    log_outcome(job, attempt, outcome)
    if isinstance(outcome, RetryLater):
        raise Retry(defer=outcome.delay)


async def keep_in_progress(redis: ArqRedis, job_id: str) -> None:
    """The job's lease, renewed while it runs.

    arq marks a running job in progress until the longest job timeout has passed; while that
    mark stands no worker takes the job, so one whose worker died would wait it out (minutes).
    Here the mark lasts LEASE_SECONDS and is renewed every HEARTBEAT_SECONDS: a dead worker's
    job is taken up by another worker within LEASE_SECONDS, a slow live one never.
    """
    key = in_progress_key_prefix + job_id
    while True:
        try:
            await redis.pexpire(key, LEASE_SECONDS * 1000)
        except (RedisError, OSError) as error:  # Redis away: arq cannot hand the job out either meanwhile
            log.warning("job lease not renewed; trying again", job_id=job_id, error=type(error).__name__)
        await asyncio.sleep(HEARTBEAT_SECONDS)


async def send_reminders(ctx: dict[str, Any]) -> None:
    reminded = await ctx["container"].use_cases().schedules.send_reminders()
    log.info("reminders sent", reminded=reminded)


async def expire_envelopes(ctx: dict[str, Any]) -> None:
    expired = await ctx["container"].use_cases().schedules.expire_envelopes()
    log.info("envelopes expired", expired=expired)


async def purge_outbox(ctx: dict[str, Any]) -> None:
    purged = await ctx["container"].use_cases().schedules.purge_outbox()
    log.info("outbox purged", purged=purged)


async def purge_documents(ctx: dict[str, Any]) -> None:
    purged = await ctx["container"].use_cases().schedules.purge_documents()
    log.info("retention run done", purged=purged)


def build_workers(container: Container, *, burst: bool = False) -> list[Worker]:
    """One arq worker per lane, to run in one process; the routine one also dispatches the outbox and runs the schedule."""
    settings = container.settings()
    if settings.redis_url is None:
        raise ValueError("UNDERSIGN_REDIS_URL is not set")
    minutes = set(range(0, 60, settings.schedule_minutes))

    async def start_dispatcher(ctx: dict[str, Any]) -> None:
        dispatcher = container.use_cases().dispatcher
        # The API processes' messages are found by its looks; this process's own (a seal's) ring it at once.
        ctx["dispatcher"] = asyncio.create_task(
            repeat("dispatcher", dispatching(dispatcher), POLL_SECONDS, doorbell=container.gateways.outbox_doorbell(),
                   gather=GATHER_SECONDS)
        )
        log.info("worker started", max_jobs={lane.value: n for lane, n in MAX_JOBS.items()})

    async def stop_dispatcher(ctx: dict[str, Any]) -> None:
        task = ctx.get("dispatcher")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def worker(lane: JobLane, **extra: Any) -> Worker:
        made = Worker(
            functions=[func(run_job, name=RUN_JOB, max_tries=max(ARQ_MAX_TRIES, settings.job_max_attempts + 1))],
            queue_name=QUEUE_NAMES[lane],
            redis_settings=redis_settings(settings.redis_url),
            ctx={"container": container},
            job_timeout=settings.job_timeout_seconds + TIMEOUT_MARGIN_SECONDS,  # the JobRunner times out first
            keep_result=KEEP_RESULT,
            max_jobs=MAX_JOBS[lane],
            burst=burst,
            handle_signals=False,  # run_workers stops them all: arq's own handler would stop only the last one made
            **extra,
        )
        # arq marks a job in progress for the longest job timeout before our code runs; a worker killed in
        # between would leave that mark for minutes. The lease from the start: keep_in_progress renews it.
        made.in_progress_timeout_s = LEASE_SECONDS
        return made

    return [
        worker(JobLane.URGENT),
        worker(
            JobLane.ROUTINE,
            cron_jobs=[
                cron(send_reminders, minute=minutes, run_at_startup=True),
                cron(expire_envelopes, minute=minutes, run_at_startup=True),
                cron(purge_outbox, hour={3}, minute={17}),  # once a day, at a quiet hour
                # The retention run, once a day: a backlog may take longer than a job's timeout; cut short, the
                # next day's run finishes what it began (application.retention.purge).
                cron(purge_documents, hour={3}, minute={47}, timeout=RETENTION_TIMEOUT_SECONDS),
            ],
            on_startup=start_dispatcher,
            on_shutdown=stop_dispatcher,
        ),
    ]


def run_workers(container: Container, *, burst: bool = False) -> None:
    """Run every lane's worker in this process until SIGINT or SIGTERM (with `burst`: until their queues are empty).

    A signal cancels the jobs running (each runs again, as its next try, from the queue); then
    the workers close and the container shuts down, once.
    """
    workers = build_workers(container, burst=burst)
    loop = asyncio.get_event_loop()  # the one the workers were made on

    def stop(signal: Signals) -> None:
        for worker in workers:
            worker.handle_sig(signal)

    for signal in (Signals.SIGINT, Signals.SIGTERM):
        loop.add_signal_handler(signal, stop, signal)
    try:
        loop.run_until_complete(asyncio.gather(*(worker.async_run() for worker in workers), return_exceptions=True))
    finally:
        loop.run_until_complete(_close(workers, container))


async def _close(workers: list[Worker], container: Container) -> None:
    for worker in workers:
        await worker.close()
    await shutdown(container)
