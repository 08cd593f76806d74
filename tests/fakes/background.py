"""The outbox, the job queue and the dead letters, kept in memory."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.fakes.database import FakeDatabase, Writes
from tests.fakes.system import FakeClock
from undersign.application.background.ports import ClaimedJob, DeadLetter
from undersign.application.shared.jobs import Job, JobLane
from undersign.application.shared.outbox import OutboxMessage
from undersign.domain.errors import ConcurrencyConflict


class FakeOutbox:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes
        self._purged: set[str] = set()  # what this unit of work purged is gone for it, as in SQL

    async def add(self, message: OutboxMessage) -> None:
        stored = copy.deepcopy(message)

        def check() -> None:
            if message.id in self._db.outbox:
                raise ConcurrencyConflict(f"outbox message {message.id} already exists")

        self._writes.stage(check, lambda: self._db.outbox.__setitem__(message.id, stored))

    async def pending(self, limit: int) -> list[OutboxMessage]:
        waiting = sorted(
            (m for m in self._db.outbox.values() if m.id not in self._db.dispatched), key=lambda m: (m.at, m.id)
        )
        return copy.deepcopy(waiting[:limit])

    async def mark_dispatched(self, message_ids: list[str], at: datetime) -> None:
        ids = list(message_ids)

        def apply() -> None:
            for message_id in ids:
                if message_id in self._db.outbox:
                    self._db.dispatched.setdefault(message_id, at)  # one marked first keeps its time

        self._writes.stage(lambda: None, apply)

    async def purge(self, *, dispatched_before: datetime, limit: int) -> int:
        old = sorted(
            (at, i) for i, at in self._db.dispatched.items() if at < dispatched_before and i not in self._purged
        )[:limit]
        self._purged.update(i for _, i in old)

        def apply() -> None:
            for _, message_id in old:
                self._db.outbox.pop(message_id, None)
                self._db.dispatched.pop(message_id, None)

        self._writes.stage(lambda: None, apply)
        return len(old)


class FakeDeadLetters:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes

    async def add(self, letter: DeadLetter) -> None:
        stored = copy.deepcopy(letter)
        self._writes.stage(lambda: None, lambda: self._db.dead_letters.__setitem__(letter.id, stored))

    async def get(self, letter_id: str) -> DeadLetter | None:
        return copy.deepcopy(self._db.dead_letters.get(letter_id))

    async def list(self, *, limit: int) -> list[DeadLetter]:
        letters = sorted(self._db.dead_letters.values(), key=lambda d: (d.failed_at, d.id), reverse=True)
        return copy.deepcopy(letters[:limit])

    async def delete(self, letter_id: str) -> None:
        self._writes.stage(lambda: None, lambda: self._db.dead_letters.pop(letter_id, None))


@dataclass
class _QueuedJob:
    job: Job
    run_at: datetime
    attempt: int = 0  # claims so far
    leased_until: datetime | None = None


class FakeJobQueue:
    """The job queue in memory, behaving as SqlJobStore does (tests/integration/test_job_store.py runs on both).

    Enqueued jobs are dated by `clock`. For use-case tests: `jobs` lists what is queued, in
    the order it came, and `take()` removes and returns it (what a worker would run).
    """

    def __init__(self, clock: FakeClock | None = None) -> None:
        self._clock = clock or FakeClock()
        self.queued: dict[str, _QueuedJob] = {}
        self.enqueued: list[Job] = []  # every job ever queued, repeats included

    async def enqueue(self, jobs: list[Job]) -> None:
        run_at = self._clock.now()
        self.enqueued += jobs
        for job in jobs:
            if job.id not in self.queued:
                self.queued[job.id] = _QueuedJob(job=job, run_at=run_at)

    @property
    def jobs(self) -> list[Job]:
        return [q.job for q in self.queued.values()]

    def take(self, name: str | None = None) -> list[Job]:
        """Remove every queued job (of that name) and return them, whenever they are due."""
        taken = [q.job for q in self.queued.values() if name is None or q.job.name == name]
        for job in taken:
            del self.queued[job.id]
        return taken

    async def claim(self, *, lane: JobLane, now: datetime, limit: int, lease_seconds: float) -> list[ClaimedJob]:
        due = sorted(
            (q for q in self.queued.values()
             if q.job.lane == lane and q.run_at <= now and (q.leased_until is None or q.leased_until <= now)),
            key=lambda q: (q.run_at, q.job.id),
        )[:limit]
        for q in due:
            q.attempt += 1
            q.leased_until = now + timedelta(seconds=lease_seconds)
        return [ClaimedJob(job=q.job, attempt=q.attempt) for q in due]

    async def renew(self, job_id: str, *, attempt: int, until: datetime) -> bool:
        q = self.queued.get(job_id)
        if q is None or q.attempt != attempt or q.leased_until is None:
            return False
        q.leased_until = until
        return True

    async def finish(self, job_id: str) -> None:
        self.queued.pop(job_id, None)

    async def retry(self, job_id: str, *, at: datetime) -> None:
        if (q := self.queued.get(job_id)) is not None:
            q.run_at, q.leased_until = at, None
