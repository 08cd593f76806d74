"""The dead letter office on fakes: listing the jobs that failed for good, replaying one, replaying them all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job, JobLane
from undersign.application.signing.seal import SealEnvelopeJob
from undersign.domain.errors import NotFound


def keep(platform, *jobs: Job, error: str = "RuntimeError: down") -> list[DeadLetter]:
    """Dead letters of `jobs`, each failed a second after the one before."""
    letters = []
    for job in jobs:
        platform.clock.advance(timedelta(seconds=1))
        letter = DeadLetter(id=job.id, job=job, attempts=10, error=error, failed_at=platform.clock.now())
        platform.db.dead_letters[letter.id] = letter
        letters.append(letter)
    return letters


def notice(n: int) -> Job:
    return Job(id=f"notice:m{n}:s1", name="send_notice", args={"n": str(n)})


async def test_the_list_is_the_most_recent_first_and_as_long_as_asked(platform):
    letters = keep(platform, notice(1), notice(2), notice(3))
    assert await platform.dead_letters.list() == letters[::-1]
    assert [letter.id for letter in await platform.dead_letters.list(limit=2)] == ["notice:m3:s1", "notice:m2:s1"]
    assert await platform.dead_letters.list(limit=1) == [letters[-1]]


async def test_the_list_holds_a_hundred_letters_unless_asked_otherwise(platform):
    keep(platform, *(notice(n) for n in range(101)))
    listed = await platform.dead_letters.list()
    assert len(listed) == 100 and listed[0].id == "notice:m100:s1" and listed[-1].id == "notice:m1:s1"


async def test_nothing_failed_lists_nothing_and_replays_nothing(platform):
    assert await platform.dead_letters.list() == []
    assert await platform.dead_letters.replay_all() == []
    assert platform.job_queue.enqueued == []


async def test_a_replay_queues_a_fresh_job_in_its_kinds_lane_and_forgets_the_letter(platform):
    # Stored with a lane its kind does not have: the kind decides, not what the letter kept.
    stray = Job(id="coffee:1", name="make_coffee", args={"cups": "2"}, lane=JobLane.URGENT)
    seal = SealEnvelopeJob(tenant_id="t1", envelope_id="e1").job("seal:e1")
    keep(platform, stray, Job(id=seal.id, name=seal.name, args=seal.args))

    replayed = await platform.dead_letters.replay("coffee:1")
    assert replayed.id.startswith("coffee:1:replay:") and replayed.id != "coffee:1:replay:"
    assert (replayed.name, replayed.args, replayed.lane) == ("make_coffee", {"cups": "2"}, JobLane.ROUTINE)
    assert platform.job_queue.jobs == [replayed] and list(platform.db.dead_letters) == [seal.id]

    sealed = await platform.dead_letters.replay(seal.id)
    assert (sealed.name, sealed.args, sealed.lane) == (seal.name, seal.args, JobLane.URGENT)
    assert platform.db.dead_letters == {}


async def test_a_letter_that_cannot_be_queued_is_kept(platform):
    [letter] = keep(platform, notice(1))

    async def queue_down(jobs):
        raise ConnectionError("redis is down")

    platform.job_queue.enqueue = queue_down
    with pytest.raises(ConnectionError):
        await platform.dead_letters.replay(letter.id)
    assert platform.db.dead_letters == {letter.id: letter}


async def test_an_unknown_letter_is_not_found(platform):
    keep(platform, notice(1))
    with pytest.raises(NotFound, match="no dead letter notice:m2:s1"):
        await platform.dead_letters.replay("notice:m2:s1")
    assert platform.job_queue.enqueued == [] and len(platform.db.dead_letters) == 1


async def test_replay_all_replays_every_letter_page_after_page(platform):
    letters = keep(platform, *(notice(n) for n in range(150)))
    queued = await platform.dead_letters.replay_all()
    assert len(queued) == 150 and platform.db.dead_letters == {}
    assert platform.job_queue.jobs == queued
    originals = {letter.id: letter.job for letter in letters}
    for job in queued:
        original_id = job.id.split(":replay:")[0]
        original = originals[original_id]
        assert (job.name, job.args, job.lane) == (original.name, original.args, JobLane.ROUTINE)
    assert sorted(job.id.split(":replay:")[0] for job in queued) == sorted(originals)
    assert [job.id.split(":replay:")[0] for job in queued[:2]] == ["notice:m149:s1", "notice:m148:s1"]  # newest first


async def test_replay_all_takes_in_letters_kept_while_it_runs(platform):
    keep(platform, notice(1))
    enqueue = platform.job_queue.enqueue

    async def enqueue_and_fail_another(jobs):
        await enqueue(jobs)
        if len(platform.job_queue.enqueued) == 1:  # meanwhile, another job fails for good
            keep(platform, notice(2))

    platform.job_queue.enqueue = enqueue_and_fail_another
    queued = await platform.dead_letters.replay_all()
    assert [job.id.split(":replay:")[0] for job in queued] == ["notice:m1:s1", "notice:m2:s1"]
    assert platform.db.dead_letters == {}
