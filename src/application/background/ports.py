"""What the runners need beyond a queue: claiming due jobs, and the dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.application.shared.jobs import Job, JobLane, JobQueue


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedJob:
    job: Job
    attempt: int  # 1 on the first run


class JobStore(JobQueue, Protocol):
    """A job queue kept in the database, for the embedded runner: jobs outlive the process."""

    async def claim(self, *, lane: JobLane, now: datetime, limit: int, lease_seconds: float) -> list[ClaimedJob]:
        """Up to `limit` jobs of `lane` due at `now`, leased: nobody else claims them until the lease ends (a crash)."""
        ...

    async def renew(self, job_id: str, *, attempt: int, until: datetime) -> bool:
        """Extend the lease of the claim that counted `attempt` to `until`; False if that claim no longer
        holds it (its lease ran out and another claim took the job, or the job is settled)."""
        ...

    async def finish(self, job_id: str) -> None: ...

    async def retry(self, job_id: str, *, at: datetime) -> None:
        """Run the job again at `at`, as its next attempt."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """A job that failed its last attempt, kept for an operator to look at and replay."""

    id: str
    job: Job
    attempts: int
    error: str
    failed_at: datetime


class DeadLetters(Protocol):
    async def add(self, letter: DeadLetter) -> None:
        """Keep a failed job; one that is already kept under the same id is replaced."""
        ...

    async def get(self, letter_id: str) -> DeadLetter | None: ...

    async def list(self, *, limit: int) -> list[DeadLetter]:
        """The most recent first."""
        ...

    async def delete(self, letter_id: str) -> None: ...
