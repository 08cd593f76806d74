"""With Redis, a running job's lease is arq's in-progress mark: renewed while the job runs, gone soon after its worker dies.

arq hands a queued job to no worker while its in-progress mark stands (and gives it out again,
as its next try, once the mark has expired): the mark is the job's lease. Here it is kept for
LEASE_SECONDS and renewed every HEARTBEAT_SECONDS, scaled down to a fraction of a second.
"""

from __future__ import annotations

import asyncio

import pytest
from arq import create_pool
from arq.constants import in_progress_key_prefix

from tests.servers import RedisServer
from undersign.adapters.queue.arq_queue import redis_settings
from undersign.entrypoints.worker import arq_worker

LEASE, HEARTBEAT = 1, 0.1


@pytest.fixture
async def redis(redis_server: RedisServer, monkeypatch):
    redis_server.flush()
    monkeypatch.setattr(arq_worker, "LEASE_SECONDS", LEASE)
    monkeypatch.setattr(arq_worker, "HEARTBEAT_SECONDS", HEARTBEAT)
    pool = await create_pool(redis_settings(redis_server.url()))
    yield pool
    await pool.aclose()


async def test_a_running_job_keeps_its_mark_past_the_lease_and_loses_it_within_the_lease_once_it_stops(redis) -> None:
    key = in_progress_key_prefix + "seal:e1"
    await redis.psetex(key, 315_000, b"1")  # as arq marks it: the longest job timeout, and then some

    heartbeat = asyncio.create_task(arq_worker.keep_in_progress(redis, "seal:e1"))
    await asyncio.sleep(LEASE * 3)  # three leases long: renewed all the while
    assert 0 < await redis.pttl(key) <= LEASE * 1000

    heartbeat.cancel()  # the worker dies
    await asyncio.sleep(LEASE + HEARTBEAT)
    assert await redis.exists(key) == 0
