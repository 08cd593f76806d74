"""Jobs onto arq's Redis queue, where `undersign worker` processes pick them up.

Every job is queued as a call of one arq function, RUN_JOB, with the job's name and
arguments, on its lane's queue (QUEUE_NAMES: each has workers of its own, so a seal never
waits behind emails and webhook deliveries); the job's own id is arq's job id, which is how arq keeps one job per id while
it is queued, running or its result is kept (KEEP_RESULT), so a repeated dispatch
enqueues nothing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.constants import default_queue_name
from redis.exceptions import RedisError

from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.jobs import Job, JobLane

RUN_JOB = "run_job"
# Routine jobs keep arq's default queue, where earlier versions queued every job.
QUEUE_NAMES = {JobLane.URGENT: f"{default_queue_name}:urgent", JobLane.ROUTINE: default_queue_name}
# How long a finished job's id keeps a repeat of it out of the queue.
KEEP_RESULT = timedelta(days=1)
# How long a queued job waits for a worker before arq drops it: longer than any outage we
# would sit out, so that jobs wait for workers rather than vanish.
QUEUED_JOB_LIFETIME = timedelta(days=30)


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 5
    settings.conn_retries = 2
    return settings


class ArqJobQueue:
    """A JobQueue on arq; the Redis connection pool opens on first use."""

    def __init__(self, url: str) -> None:
        self._settings = redis_settings(url)
        self._pool: ArqRedis | None = None
        self._opening = asyncio.Lock()

    async def enqueue(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        pool = await self._connection()
        try:
            for job in jobs:
                await pool.enqueue_job(
                    RUN_JOB, job.name, job.args,
                    _job_id=job.id, _queue_name=QUEUE_NAMES[job.lane], _expires=QUEUED_JOB_LIFETIME,
                )
        except (RedisError, OSError) as error:
            raise QueueUnavailable(f"the job queue (Redis) does not answer: {type(error).__name__}") from error

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None

    async def _connection(self) -> ArqRedis:
        async with self._opening:
            if self._pool is None:
                try:
                    self._pool = await create_pool(self._settings)
                except (RedisError, OSError) as error:
                    raise QueueUnavailable(f"the job queue (Redis) does not answer: {type(error).__name__}") from error
            return self._pool
