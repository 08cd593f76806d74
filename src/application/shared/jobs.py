"""A job: what a queue keeps (a name and plain-string args) and what a handler takes (a typed payload)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import ClassVar, Protocol, Self

from undersign.application.shared.ports import IdGenerator
from undersign.domain.errors import NotFound


class JobLane(StrEnum):
    """Which runners take a job: each lane has runners of its own, so one never waits behind the other.

    URGENT holds the seal, what a completed envelope waits for: a busy hour of emails, webhook
    deliveries and certificates of completion, ROUTINE, does not hold up a sealed document. (A
    certificate asked for before its job ran is made at that download.)
    """

    URGENT = "urgent"
    ROUTINE = "routine"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPayload:
    """What a job is for, typed; queues keep it as plain strings (Job.args) under the job's `name`."""

    name: ClassVar[str]
    lane: ClassVar[JobLane] = JobLane.ROUTINE

    def job(self, job_id: str) -> Job:
        args = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        return Job(id=job_id, name=self.name, args=args, lane=self.lane)

    @classmethod
    def of(cls, job: Job) -> Self:
        """The payload a queued job carries; MalformedJob if its args are not this kind's."""
        try:
            return cls(**job.args)
        except (TypeError, ValueError) as error:
            raise MalformedJob(f"job {job.id} is not a {cls.name} job: {error}") from None


class UnknownJob(NotFound):
    code = "unknown_job"


class MalformedJob(UnknownJob):
    """A job of a known name whose args are not its kind's (left by another version, say)."""

    code = "malformed_job"


def again(job: Job, ids: IdGenerator, *, why: str) -> Job:
    """The same work as a new job: a queue may still remember the old id as done (arq keeps it a day).

    The new id is the first one's with `:why:` and a fresh suffix, however often the job is run again.
    """
    first_id = job.id.split(f":{why}:")[0]
    return replace(job, id=f"{first_id}:{why}:{ids.new_id()}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A unit of background work: `name` says which handler, `args` (plain strings) what for.

    `id` is stable (made from the outbox message it came from), so a job enqueued twice,
    by a dispatcher that died between enqueueing and recording it, runs once while queued;
    handlers are idempotent besides, for the job that runs again after a crash.
    """

    id: str
    name: str
    args: dict[str, str]
    lane: JobLane = JobLane.ROUTINE


class JobQueue(Protocol):
    async def enqueue(self, jobs: list[Job]) -> None:
        """Queue `jobs` to run now; a job whose id is already queued or running is not added again."""
        ...
