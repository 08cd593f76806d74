"""The job queue kept in the database, for the runner inside `undersign serve`: each call one short transaction.

Outside any unit of work (like adapters.sql.idempotency_keys), so its sessions translate a
database that is down, too slow or out of connections into DatabaseUnavailable themselves.

A job's row lives from enqueueing until it is finished: `attempt` counts its claims,
`leased_until` says until when the runner that claimed it has it. The lease is short and the
runner renews it while the job runs (a heartbeat); a runner that crashes stops renewing, and
once its lease runs out the job is due again, as its next attempt.

Claiming is safe with any number of runners at once, on every server:
- PostgreSQL: one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`:
  a claimer passes over the jobs another is claiming instead of waiting for them, and
  PostgreSQL checks the condition again on a row that changed since the statement began.
- SQLite: the same statement without FOR UPDATE, which SQLite does not have and does not
  need: a writing statement takes the database's single write lock before it reads
  (waiting for it up to the busy timeout), so it sees the leases an earlier claim wrote.
- MySQL/MariaDB, which have no UPDATE ... RETURNING: SELECT ... FOR UPDATE SKIP LOCKED,
  then an UPDATE of the rows it locked, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Dialect, Insert, Select, delete, or_, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from undersign.adapters.sql.availability import own_session
from undersign.adapters.sql.repositories.shared import rowcount
from undersign.adapters.sql.tables.background import JobRow
from undersign.application.background.ports import ClaimedJob
from undersign.application.shared.jobs import Job, JobLane
from undersign.application.shared.ports import Clock

_NO_SYNC = {"synchronize_session": False}


class SqlJobStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        enqueued: Callable[[set[JobLane]], None] | None = None,
    ) -> None:
        """`clock` dates what is enqueued (run_at, created_at): the runner's clock, which `claim` is given the time of.
        `enqueued` is told the lanes of the jobs committed to the queue (the lanes' doorbells ring)."""
        self._sessions = sessions
        self._clock = clock
        self._enqueued = enqueued

    async def enqueue(self, jobs: list[Job]) -> None:
        """An INSERT that passes over the ids already there (the server decides, so two enqueuers cannot both add one).

        In id order, so two enqueuers of overlapping batches lock the keys in the same order.
        """
        first: dict[str, Job] = {}
        for job in jobs:
            first.setdefault(job.id, job)
        if not first:
            return
        now = self._clock.now()
        rows = [
            {"id": job.id, "name": job.name, "args": dict(job.args), "lane": job.lane.value, "run_at": now,
             "attempt": 0, "leased_until": None, "created_at": now}
            for job in sorted(first.values(), key=lambda j: j.id)
        ]
        async with own_session(self._sessions) as session:
            await session.execute(_insert_unless_present(session.get_bind().dialect), rows)
            await session.commit()
        if self._enqueued is not None:
            self._enqueued({job.lane for job in first.values()})

    async def claim(self, *, lane: JobLane, now: datetime, limit: int, lease_seconds: float) -> list[ClaimedJob]:
        """The due jobs of `lane`, earliest first, each leased until now + lease_seconds and its attempt counted."""
        def due(*columns: Any) -> Select[Any]:
            return (
                select(*columns)
                .where(
                    JobRow.lane == lane.value, JobRow.run_at <= now,
                    or_(JobRow.leased_until.is_(None), JobRow.leased_until <= now),
                )
                .order_by(JobRow.run_at, JobRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
                # InnoDB locks every row it reads: through the index, in order, it stops at
                # `limit` rows; a table scan and a sort would lock every due job, leaving
                # other claimers nothing to take.
                .with_hint(JobRow, "FORCE INDEX (ix_jobs_lane_run_at)", "mysql")
                .with_hint(JobRow, "FORCE INDEX (ix_jobs_lane_run_at)", "mariadb")
            )

        lease = {"leased_until": now + timedelta(seconds=lease_seconds), "attempt": JobRow.attempt + 1}
        columns = (JobRow.run_at, JobRow.id, JobRow.name, JobRow.args, JobRow.attempt)
        async with own_session(self._sessions) as session:
            claimed: list[tuple[datetime, str, str, dict[str, str], int]]
            if session.get_bind().dialect.update_returning:
                result = await session.execute(
                    update(JobRow).where(JobRow.id.in_(due(JobRow.id))).values(**lease).returning(*columns)
                    .execution_options(**_NO_SYNC)
                )
                claimed = [tuple(row) for row in result]
            else:
                locked = (await session.execute(due(*columns))).all()
                # The attempt as read under the row lock, plus the one this claim adds.
                claimed = [(run_at, id_, name, args, attempt + 1) for run_at, id_, name, args, attempt in locked]
                if claimed:
                    await session.execute(
                        update(JobRow).where(JobRow.id.in_([row[1] for row in claimed])).values(**lease)
                        .execution_options(**_NO_SYNC)
                    )
            await session.commit()
        return [
            ClaimedJob(job=Job(id=id_, name=name, args=dict(args), lane=lane), attempt=attempt)
            for _, id_, name, args, attempt in sorted(claimed)
        ]

    async def renew(self, job_id: str, *, attempt: int, until: datetime) -> bool:
        """The claim is known by its attempt: a later claim of the same job counted another."""
        async with own_session(self._sessions) as session:
            result = await session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.attempt == attempt, JobRow.leased_until.is_not(None))
                .values(leased_until=until)
                .execution_options(**_NO_SYNC)
            )
            await session.commit()
        return rowcount(result) == 1

    async def finish(self, job_id: str) -> None:
        async with own_session(self._sessions) as session:
            await session.execute(delete(JobRow).where(JobRow.id == job_id).execution_options(**_NO_SYNC))
            await session.commit()

    async def retry(self, job_id: str, *, at: datetime) -> None:
        """Due again at `at`, lease released; the claim then counts the next attempt."""
        async with own_session(self._sessions) as session:
            await session.execute(
                update(JobRow).where(JobRow.id == job_id).values(run_at=at, leased_until=None)
                .execution_options(**_NO_SYNC)
            )
            await session.commit()


def _insert_unless_present(dialect: Dialect) -> Insert:
    """INSERT that leaves a row whose id is taken as it is: ON CONFLICT DO NOTHING, or MySQL's no-op update."""
    if dialect.name == "postgresql":
        return postgresql.insert(JobRow).on_conflict_do_nothing(index_elements=[JobRow.id])
    if dialect.name == "sqlite":
        return sqlite.insert(JobRow).on_conflict_do_nothing(index_elements=[JobRow.id])
    statement = mysql.insert(JobRow)
    # Not INSERT IGNORE, which would turn every other error (a value too long, say) into a warning.
    return statement.on_duplicate_key_update(id=statement.inserted.id)
