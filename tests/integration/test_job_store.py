"""The database-backed job queue (the embedded runner's): one contract, run on the fake and on each SQL backend.

Each call of the store is a transaction of its own, so what one call did is what the next
one sees; the clock given to the store dates what is enqueued, `claim` is told the time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.background import FakeJobQueue
from tests.fakes.system import FakeClock
from tests.servers import empty_database
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.job_store import SqlJobStore
from undersign.application.background.ports import ClaimedJob, JobStore
from undersign.application.shared.jobs import Job, JobLane

T0 = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
LEASE = 60.0


@dataclass
class Queue:
    store: JobStore
    clock: FakeClock

    async def enqueue_due_in(self, seconds: float, jobs: list[Job]) -> None:
        """Jobs that come due `seconds` from the clock's time (queued, then put off, as a retry would)."""
        await self.store.enqueue(jobs)
        for queued in jobs:
            await self.store.retry(queued.id, at=self.clock.now() + timedelta(seconds=seconds))

    async def claim(self, *, after: float = 0, limit: int = 100, lane: JobLane = JobLane.ROUTINE) -> list[ClaimedJob]:
        """The jobs of `lane` due `after` seconds from the clock's time."""
        now = self.clock.now() + timedelta(seconds=after)
        return await self.store.claim(lane=lane, now=now, limit=limit, lease_seconds=LEASE)


@pytest.fixture(params=["fake", "sqlite", "postgresql", "mariadb"])
async def queue(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Queue]:
    clock = FakeClock(T0)
    if request.param == "fake":
        yield Queue(FakeJobQueue(clock), clock)
        return
    async with empty_database(request.param, request, tmp_path) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            yield Queue(SqlJobStore(create_session_factory(engine), clock), clock)
        finally:
            await engine.dispose()


def job(n: int | str, **args: str) -> Job:
    return Job(id=f"job-{n}", name="send_notice", args={"tenant_id": "tenant-acme", **args})


def ids(claimed: list[ClaimedJob]) -> list[str]:
    return [c.job.id for c in claimed]


async def test_a_job_is_claimed_once_due_with_its_arguments_as_its_first_attempt(queue: Queue) -> None:
    long = Job(id="notice:" + "e" * 64 + ":12:" + "s" * 64 + ":replay:" + "r" * 108, name="deliver_webhook",
               args={"tenant_id": "tenant-acme", "note": "Zoë ✓ 日本語 \"quoted\""})
    assert len(long.id) == 255
    await queue.store.enqueue([long, job(1)])
    await queue.enqueue_due_in(30, [job(2)])
    await queue.store.enqueue([])

    assert await queue.claim() == [ClaimedJob(job=job(1), attempt=1), ClaimedJob(job=long, attempt=1)]  # by id
    assert await queue.claim(after=29.999) == []
    assert await queue.claim(after=30) == [ClaimedJob(job=job(2), attempt=1)]


async def test_each_lane_claims_only_its_own_jobs_and_keeps_their_lane(queue: Queue) -> None:
    seal = Job(id="seal:envelope-1", name="seal_envelope", args={"tenant_id": "tenant-acme"}, lane=JobLane.URGENT)
    await queue.store.enqueue([job(1), seal, job(2)])

    assert await queue.claim(lane=JobLane.URGENT) == [ClaimedJob(job=seal, attempt=1)]
    assert ids(await queue.claim(lane=JobLane.ROUTINE)) == ["job-1", "job-2"]
    assert await queue.claim(lane=JobLane.URGENT, after=1) == []


async def test_due_jobs_come_earliest_first_up_to_the_limit(queue: Queue) -> None:
    await queue.enqueue_due_in(20, [job(3), job(1)])
    await queue.enqueue_due_in(10, [job(2)])
    await queue.store.enqueue([job(4)])

    assert ids(await queue.claim(after=20, limit=3)) == ["job-4", "job-2", "job-1"]
    assert ids(await queue.claim(after=20, limit=3)) == ["job-3"]


async def test_a_job_id_already_queued_or_running_is_not_added_again(queue: Queue) -> None:
    await queue.store.enqueue([job(1, kind="first"), job(2), job(1, kind="same batch")])
    await queue.store.enqueue([job(1, kind="queued"), job(3)])
    first = await queue.claim(limit=2)
    assert first == [ClaimedJob(job=job(1, kind="first"), attempt=1), ClaimedJob(job=job(2), attempt=1)]

    await queue.store.enqueue([job(1, kind="running")])

    # Its lease ran out (a crashed runner): the same job again, as its second attempt, not a new one.
    again = await queue.claim(after=LEASE)
    assert again == [ClaimedJob(job=job(1, kind="first"), attempt=2), ClaimedJob(job=job(2), attempt=2),
                     ClaimedJob(job=job(3), attempt=1)]


async def test_a_leased_job_is_not_claimed_again_until_its_lease_ends(queue: Queue) -> None:
    await queue.store.enqueue([job(1)])
    assert ids(await queue.claim()) == ["job-1"]

    assert await queue.claim(after=1) == []
    assert await queue.claim(after=LEASE - 0.001) == []
    assert await queue.claim(after=LEASE) == [ClaimedJob(job=job(1), attempt=2)]
    assert await queue.claim(after=LEASE + 1) == []  # leased again, by the claim that just took it


async def test_a_renewed_lease_keeps_the_job_and_only_the_claim_holding_it_renews(queue: Queue) -> None:
    await queue.store.enqueue([job(1)])
    [first] = await queue.claim()

    assert await queue.store.renew("job-1", attempt=1, until=T0 + timedelta(seconds=LEASE * 2)) is True
    assert await queue.claim(after=LEASE) == []  # the old lease's end: renewed past it
    assert await queue.claim(after=LEASE * 2) == [ClaimedJob(job=job(1), attempt=2)]  # not renewed again: taken
    assert await queue.store.renew("job-1", attempt=1, until=T0 + timedelta(seconds=LEASE * 9)) is False  # not its claim now
    assert await queue.store.renew("job-1", attempt=2, until=T0 + timedelta(seconds=LEASE * 9)) is True

    await queue.store.finish("job-1")
    assert await queue.store.renew("job-1", attempt=2, until=T0 + timedelta(seconds=LEASE * 9)) is False


async def test_a_finished_job_is_gone_and_its_id_may_be_queued_anew(queue: Queue) -> None:
    await queue.store.enqueue([job(1), job(2)])
    await queue.claim()

    await queue.store.finish("job-1")
    await queue.store.finish("job-unknown")

    assert ids(await queue.claim(after=LEASE)) == ["job-2"]
    await queue.store.enqueue([job(1, kind="again")])
    assert await queue.claim(after=LEASE) == [ClaimedJob(job=job(1, kind="again"), attempt=1)]


async def test_a_retried_job_comes_back_when_asked_as_its_next_attempt(queue: Queue) -> None:
    await queue.store.enqueue([job(1), job(2)])
    await queue.claim()

    await queue.store.retry("job-1", at=T0 + timedelta(seconds=100))
    await queue.store.retry("job-2", at=T0)  # at once: its lease is released
    await queue.store.retry("job-unknown", at=T0)

    assert await queue.claim(after=1) == [ClaimedJob(job=job(2), attempt=2)]
    await queue.store.finish("job-2")
    assert await queue.claim(after=99) == []
    assert await queue.claim(after=100) == [ClaimedJob(job=job(1), attempt=2)]
    await queue.store.retry("job-1", at=T0 + timedelta(seconds=100))
    assert await queue.claim(after=100) == [ClaimedJob(job=job(1), attempt=3)]


async def test_concurrent_claimers_never_get_the_same_job(queue: Queue) -> None:
    await queue.store.enqueue([job(f"{n:02d}") for n in range(50)])

    claims = await asyncio.wait_for(asyncio.gather(*(queue.claim(limit=20) for _ in range(4))), timeout=30)

    claimed = [i for claim in claims for i in ids(claim)]
    assert sorted(claimed) == [f"job-{n:02d}" for n in range(50)]  # each job once, none left behind
    assert all(c.attempt == 1 for claim in claims for c in claim)
    assert await queue.claim(after=1) == []


async def test_concurrent_enqueuers_of_the_same_jobs_queue_each_once(queue: Queue) -> None:
    batches = [[job(f"{n:02d}") for n in order] for order in (range(30), reversed(range(30)), range(10, 40))]

    await asyncio.wait_for(asyncio.gather(*(queue.store.enqueue(batch) for batch in batches)), timeout=30)

    assert sorted(ids(await queue.claim())) == [f"job-{n:02d}" for n in range(40)]
