"""The doorbell: what this process writes wakes the background loop that handles it, not its next look."""

import asyncio
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest

from tests.fakes.background import FakeJobQueue
from undersign.adapters.system.clock import SystemClock
from undersign.application.background.job_runner import JobRunner, RetryPolicy
from undersign.application.shared.jobs import JobLane, JobPayload
from undersign.entrypoints.worker import embedded
from undersign.entrypoints.worker.doorbell import Doorbell, LaneDoorbells
from undersign.entrypoints.worker.loops import repeat

LONG = 30.0  # a pause no test waits out: what happens sooner was rung
SOON = 2.0  # how long a ring may take to be answered, on a loaded machine


async def test_a_ring_sets_the_listeners_of_this_loop_and_of_another_threads_loop():
    doorbell = Doorbell()
    other_loop_rung = threading.Event()
    listening = threading.Event()

    def another_thread() -> None:
        async def listen() -> None:
            with doorbell.listener() as rung:
                listening.set()
                await asyncio.wait_for(rung.wait(), LONG)
                other_loop_rung.set()

        asyncio.run(listen())

    thread = threading.Thread(target=another_thread)
    thread.start()
    assert await asyncio.to_thread(listening.wait, SOON)
    with doorbell.listener() as rung:
        doorbell.ring()
        assert rung.is_set()
    await asyncio.to_thread(thread.join, SOON)
    assert other_loop_rung.is_set()


async def test_a_listener_that_left_is_not_rung_and_nobody_listening_is_no_error():
    doorbell = Doorbell()
    doorbell.ring()
    with doorbell.listener() as rung:
        pass
    doorbell.ring()
    assert not rung.is_set()


async def test_an_idle_loop_looks_again_when_rung_instead_of_after_its_pause():
    doorbell, looked = Doorbell(), asyncio.Queue()

    async def step() -> bool:
        looked.put_nowait(None)
        return False

    loop = asyncio.create_task(repeat("test", step, LONG, doorbell=doorbell))
    try:
        await asyncio.wait_for(looked.get(), SOON)
        await asyncio.sleep(0.05)  # waiting now
        doorbell.ring()
        await asyncio.wait_for(looked.get(), SOON)
        doorbell.ring()
        await asyncio.wait_for(looked.get(), SOON)
    finally:
        loop.cancel()


async def test_a_rung_loop_gathers_what_is_written_with_the_ring_into_one_look():
    """Under load, one dispatch takes the messages of several envelopes committed within `gather`."""
    doorbell, looks = Doorbell(), []

    async def step() -> bool:
        looks.append(asyncio.get_running_loop().time())
        return False

    loop = asyncio.create_task(repeat("test", step, LONG, doorbell=doorbell, gather=0.3))
    try:
        await asyncio.sleep(0.05)
        rung_at = asyncio.get_running_loop().time()
        for _ in range(3):  # three commits in a burst
            doorbell.ring()
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)
    finally:
        loop.cancel()
    assert len(looks) == 2 and looks[1] - rung_at >= 0.3


async def test_a_ring_during_a_look_brings_another_look_at_once():
    """What was written while the step ran may be past what it read: it looks again."""
    doorbell, looks = Doorbell(), []

    async def step() -> bool:
        looks.append(len(looks))
        if len(looks) == 1:
            doorbell.ring()
        return False

    loop = asyncio.create_task(repeat("test", step, LONG, doorbell=doorbell))
    try:
        for _ in range(100):
            if len(looks) >= 2:
                break
            await asyncio.sleep(0.02)
    finally:
        loop.cancel()
    assert looks == [0, 1]


async def test_a_failing_loop_waits_out_its_pause_however_often_it_is_rung():
    """A database that is down is not hammered because work keeps being written."""
    doorbell, looks = Doorbell(), []

    async def step() -> bool:
        looks.append(None)
        raise RuntimeError("the database is down")

    loop = asyncio.create_task(repeat("test", step, LONG, doorbell=doorbell))
    try:
        for _ in range(20):
            doorbell.ring()
            await asyncio.sleep(0.01)
    finally:
        loop.cancel()
    assert len(looks) == 1


# -- the embedded runner ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Routine(JobPayload):
    name: ClassVar[str] = "routine_for_doorbell"
    n: str  # job arguments are strings


@pytest.fixture
def long_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's own looks so far apart that only a ring explains a job taken up in time."""
    monkeypatch.setattr(embedded, "DOORBELL_POLL_SECONDS", LONG)


def runner(platform, queue: FakeJobQueue, handler, doorbells: LaneDoorbells) -> embedded.EmbeddedRunner:
    clock = SystemClock()
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(minutes=5))
    jobs = JobRunner({Routine: handler}, platform.unit_of_work, clock, policy, lambda: 0.5, timeout_seconds=60)
    return embedded.EmbeddedRunner(
        platform.dispatcher, queue, jobs, platform.schedules, clock, job_timeout_seconds=60,
        schedule_every=timedelta(hours=1), outbox_doorbell=Doorbell(), lane_doorbells=doorbells,
    )


async def wait_until_empty(queue: FakeJobQueue) -> None:
    async with asyncio.timeout(SOON):
        while queue.queued:
            await asyncio.sleep(0.02)


async def test_a_job_queued_in_this_process_runs_at_once_when_its_lane_is_rung(platform, long_looks):
    doorbells, ran = LaneDoorbells(), asyncio.Event()

    async def handler(job: Routine) -> None:
        ran.set()

    queue = FakeJobQueue(SystemClock())
    running = runner(platform, queue, handler, doorbells)
    await running.start()
    try:
        await asyncio.sleep(0.1)  # its first looks found nothing: it waits
        await queue.enqueue([Routine(n="1").job("routine:1")])
        doorbells.ring({JobLane.URGENT})
        await asyncio.sleep(0.2)
        assert not ran.is_set()  # another lane's ring leaves the routine lane waiting
        doorbells.ring({JobLane.ROUTINE})
        await asyncio.wait_for(ran.wait(), SOON)
    finally:
        await running.stop()


async def test_a_full_lane_takes_its_next_job_as_soon_as_a_slot_frees(platform, long_looks):
    doorbells, release, done = LaneDoorbells(), asyncio.Event(), []
    slots = embedded.SLOTS[JobLane.ROUTINE]

    async def handler(job: Routine) -> None:
        if int(job.n) < slots:
            await release.wait()
        done.append(int(job.n))

    queue = FakeJobQueue(SystemClock())
    await queue.enqueue([Routine(n=str(n)).job(f"routine:{n}") for n in range(slots + 2)])
    running = runner(platform, queue, handler, doorbells)
    await running.start()
    try:
        await asyncio.sleep(0.1)  # every slot taken, two jobs waiting
        assert done == []
        release.set()
        await wait_until_empty(queue)
    finally:
        await running.stop()
    assert sorted(done) == list(range(slots + 2))
