"""Running jobs: the retry policy's backoff, what a failed attempt becomes, and the dead letters."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest

from tests.fakes.background import FakeJobQueue
from undersign.adapters.system.clock import SystemClock
from undersign.application.background.job_runner import DeadLettered, Done, JobRunner, RetryLater, RetryPolicy
from undersign.application.shared.jobs import Job, JobLane, JobPayload
from undersign.application.signing.seal import SealEnvelopeJob
from undersign.domain.errors import NotFound
from undersign.entrypoints.worker.embedded import SLOTS, EmbeddedRunner, settle

POLICY = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(minutes=5))


@dataclass(frozen=True, slots=True, kw_only=True)
class Flaky(JobPayload):
    name: ClassVar[str] = "flaky"
    envelope_id: str


JOB = Flaky(envelope_id="e1").job("notice:m1:s1")


def test_the_delay_doubles_per_attempt_within_the_upper_half_of_its_ceiling_up_to_the_cap():
    assert [POLICY.delay(n, 0.0) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (5, 10, 20, 40)]
    for attempt, ceiling in ((1, 10), (3, 40), (5, 160)):
        assert timedelta(seconds=ceiling / 2) <= POLICY.delay(attempt, 0.5) < timedelta(seconds=ceiling)
        assert POLICY.delay(attempt, 0.999) < timedelta(seconds=ceiling)
    assert POLICY.delay(attempt=3, random_fraction=0.5) == timedelta(seconds=30)
    # from attempt 6 on the cap decides
    assert POLICY.delay(6, 0.0) == POLICY.delay(9, 0.0) == timedelta(minutes=2, seconds=30)
    assert POLICY.delay(9, 0.999) < timedelta(minutes=5)


def test_the_delay_is_capped_however_many_attempts_failed():
    assert RetryPolicy().delay(45, 0.0) == timedelta(minutes=30)


class Recorder:
    def __init__(self, failure: Exception | None = None) -> None:
        self.calls: list[Flaky] = []
        self.failure = failure

    async def __call__(self, job: Flaky) -> None:
        self.calls.append(job)
        if self.failure is not None:
            raise self.failure


def runner(platform, handler, give_up: Recorder | None = None, timeout_seconds: float = 60) -> JobRunner:
    on_give_up = {Flaky: give_up} if give_up else None
    return JobRunner(
        {Flaky: handler}, platform.unit_of_work, platform.clock, POLICY, lambda: 0.5,
        timeout_seconds=timeout_seconds, on_give_up=on_give_up,
    )


async def test_a_job_whose_handler_returns_is_done(platform):
    handler = Recorder()
    assert await runner(platform, handler).run(JOB, 1) == Done()
    assert handler.calls == [Flaky(envelope_id="e1")]
    assert platform.db.dead_letters == {}


async def test_a_failing_job_is_retried_with_backoff_then_kept_as_a_dead_letter(platform):
    give_up = Recorder()
    jobs = runner(platform, Recorder(RuntimeError("smtp said no")), give_up)

    first, second = await jobs.run(JOB, 1), await jobs.run(JOB, 2)
    assert first == RetryLater(delay=POLICY.delay(1, 0.5), error="RuntimeError: smtp said no")
    assert second == RetryLater(delay=POLICY.delay(2, 0.5), error="RuntimeError: smtp said no")
    assert give_up.calls == [] and platform.db.dead_letters == {}

    assert await jobs.run(JOB, 3) == DeadLettered(error="RuntimeError: smtp said no")
    assert give_up.calls == [Flaky(envelope_id="e1")]
    letter = platform.db.dead_letters[JOB.id]
    assert (letter.job, letter.attempts, letter.error) == (JOB, 3, "RuntimeError: smtp said no")
    assert letter.failed_at == platform.clock.now()


async def test_a_job_nobody_handles_is_dead_lettered_at_once(platform):
    stray = Job(id="j9", name="make_coffee", args={})
    outcome = await runner(platform, Recorder()).run(stray, 1)
    assert isinstance(outcome, DeadLettered) and "make_coffee" in outcome.error
    assert platform.db.dead_letters["j9"].attempts == 1


async def test_a_replayed_dead_letter_is_queued_again_under_a_new_id_and_forgotten(platform):
    jobs = runner(platform, Recorder(RuntimeError("down")))
    await jobs.run(JOB, 3)
    assert [letter.id for letter in await platform.dead_letters.list()] == [JOB.id]

    replayed = await platform.dead_letters.replay(JOB.id)
    assert replayed.id.startswith(f"{JOB.id}:replay:") and (replayed.name, replayed.args) == (JOB.name, JOB.args)
    assert platform.job_queue.jobs == [replayed]
    assert await platform.dead_letters.list() == []

    await jobs.run(replayed, 3)  # fails for good once more
    again = await platform.dead_letters.replay(replayed.id)
    assert again.id.startswith(f"{JOB.id}:replay:") and again.id.count(":replay:") == 1
    assert again.id != replayed.id
    assert platform.job_queue.jobs == [replayed, again]


async def test_replaying_a_dead_letter_that_is_not_there_fails(platform):
    with pytest.raises(NotFound):
        await platform.dead_letters.replay("nope")
    assert platform.job_queue.jobs == []


async def test_settle_finishes_reschedules_or_drops_a_claimed_job(platform):
    clock = platform.clock
    queue = FakeJobQueue(clock)
    await queue.enqueue([Job(id=i, name="x", args={}) for i in ("done", "again", "dead")])
    claimed = {c.job.id: c for c in await queue.claim(lane=JobLane.ROUTINE, now=clock.now(), limit=10, lease_seconds=300)}

    await settle(queue, clock, claimed["done"], Done())
    await settle(queue, clock, claimed["again"], RetryLater(delay=timedelta(seconds=60), error="e"))
    await settle(queue, clock, claimed["dead"], DeadLettered(error="e"))

    assert list(queue.queued) == ["again"]
    clock.advance(timedelta(seconds=59))
    assert await queue.claim(lane=JobLane.ROUTINE, now=clock.now(), limit=10, lease_seconds=300) == []
    clock.advance(timedelta(seconds=1))
    [retried] = await queue.claim(lane=JobLane.ROUTINE, now=clock.now(), limit=10, lease_seconds=300)
    assert (retried.job.id, retried.attempt) == ("again", 2)


async def test_an_attempt_that_outlasts_the_timeout_fails_and_is_retried_then_kept(platform):
    async def hangs(args: dict[str, str]) -> None:
        await asyncio.sleep(10)

    slow = runner(platform, hangs, timeout_seconds=0.01)
    outcome = await slow.run(JOB, 1)
    assert isinstance(outcome, RetryLater) and "no result within 0.01 s" in outcome.error
    assert isinstance(await slow.run(JOB, POLICY.max_attempts), DeadLettered)
    (letter,) = await platform.dead_letters.list()
    assert letter.attempts == POLICY.max_attempts and "TimeoutError" in letter.error


async def test_a_job_of_a_known_name_with_args_not_its_kinds_is_dead_lettered_at_once(platform):
    handler = Recorder()
    malformed = Job(id="notice:m1:s2", name="flaky", args={"envelope": "e1"})  # left by another version, say

    outcome = await runner(platform, handler).run(malformed, 1)

    assert isinstance(outcome, DeadLettered) and "not a flaky job" in outcome.error
    assert handler.calls == [] and malformed.id in platform.db.dead_letters


@dataclass(frozen=True, slots=True, kw_only=True)
class Urgent(JobPayload):
    name: ClassVar[str] = "urgent"
    lane: ClassVar[JobLane] = JobLane.URGENT
    envelope_id: str


async def test_an_urgent_job_runs_while_every_routine_slot_is_taken(platform):
    """A seal is never queued behind emails and webhooks: the urgent lane has slots of its own."""
    release, urgent_ran = asyncio.Event(), asyncio.Event()
    started: list[str] = []

    async def slow(job: Flaky) -> None:
        started.append(job.envelope_id)
        await release.wait()

    async def urgent(job: Urgent) -> None:
        urgent_ran.set()

    queue = FakeJobQueue(platform.clock)
    jobs = JobRunner({Flaky: slow, Urgent: urgent}, platform.unit_of_work, platform.clock, POLICY, lambda: 0.5,
                     timeout_seconds=60)
    embedded = EmbeddedRunner(platform.dispatcher, queue, jobs, platform.schedules, platform.clock,
                              job_timeout_seconds=60, schedule_every=timedelta(hours=1))
    routine = SLOTS[JobLane.ROUTINE] + 2
    await queue.enqueue([Flaky(envelope_id=f"e{n}").job(f"notice:{n}") for n in range(routine)])
    await queue.enqueue([Urgent(envelope_id="e-seal").job("seal:e-seal")])
    await embedded.start()
    try:
        await asyncio.wait_for(urgent_ran.wait(), timeout=5)
        assert len(started) == SLOTS[JobLane.ROUTINE]  # every routine slot still busy, the rest waiting
        release.set()
        for _ in range(100):
            if not queue.queued:
                break
            await asyncio.sleep(0.05)
    finally:
        await embedded.stop()
    assert sorted(started) == sorted(f"e{n}" for n in range(routine)) and queue.queued == {}


async def test_a_replayed_dead_letter_goes_back_to_its_kinds_lane(platform):
    seal = SealEnvelopeJob(tenant_id="t1", envelope_id="e1").job("seal:e1")
    failing = JobRunner({SealEnvelopeJob: Recorder(RuntimeError("down"))}, platform.unit_of_work, platform.clock,
                        POLICY, lambda: 0.5, timeout_seconds=60)
    assert seal.lane is JobLane.URGENT
    await failing.run(Job(id=seal.id, name=seal.name, args=seal.args), POLICY.max_attempts)  # kept without its lane

    replayed = await platform.dead_letters.replay(seal.id)

    assert (replayed.name, replayed.args, replayed.lane) == (seal.name, seal.args, JobLane.URGENT)


# Leases in real time, scaled down: a lease of LEASE seconds renewed every LEASE / 4.
LEASE = 0.4


def embedded_runner(platform, queue: FakeJobQueue, handler) -> EmbeddedRunner:
    clock = SystemClock()
    jobs = JobRunner({Flaky: handler}, platform.unit_of_work, clock, POLICY, lambda: 0.5, timeout_seconds=60)
    return EmbeddedRunner(platform.dispatcher, queue, jobs, platform.schedules, clock, job_timeout_seconds=60,
                          schedule_every=timedelta(hours=1), lease_seconds=LEASE, heartbeat_seconds=LEASE / 4)


async def test_a_job_running_longer_than_its_lease_keeps_it_and_runs_once(platform):
    runs: list[str] = []

    async def slow(job: Flaky) -> None:
        runs.append(job.envelope_id)
        await asyncio.sleep(LEASE * 5)

    queue = FakeJobQueue(SystemClock())
    await queue.enqueue([JOB])
    first, second = embedded_runner(platform, queue, slow), embedded_runner(platform, queue, slow)
    await first.start()
    await second.start()
    try:
        for _ in range(100):
            if not queue.queued:
                break
            await asyncio.sleep(LEASE / 4)
    finally:
        await first.stop()
        await second.stop()
    assert runs == ["e1"] and queue.queued == {}


async def test_the_job_of_a_runner_that_died_is_taken_up_once_its_lease_ends(platform):
    started, finished = asyncio.Event(), []

    async def hangs_the_first_time(job: Flaky) -> None:
        if not started.is_set():
            started.set()
            await asyncio.sleep(3600)
        finished.append(job.envelope_id)

    queue = FakeJobQueue(SystemClock())
    await queue.enqueue([JOB])
    dead = embedded_runner(platform, queue, hangs_the_first_time)
    await dead.start()
    await asyncio.wait_for(started.wait(), timeout=5)
    await dead.stop()  # as a killed process would: the job unsettled, its lease no longer renewed
    assert queue.queued[JOB.id].attempt == 1

    survivor = embedded_runner(platform, queue, hangs_the_first_time)
    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    await survivor.start()
    try:
        while queue.queued:
            assert loop.time() - stopped_at < LEASE * 5, "the job did not come back after its lease"
            await asyncio.sleep(LEASE / 8)
    finally:
        await survivor.stop()
    assert finished == ["e1"]
