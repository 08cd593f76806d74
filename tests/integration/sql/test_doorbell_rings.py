"""The SQL adapters ring the background loops' doorbells: once what they wrote is committed, and only then."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fakes.system import FakeBlobStore, FakeClock
from tests.integration.sql.helpers import ACME, T0
from tests.integration.sql.test_background import sent
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.job_store import SqlJobStore
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.application.shared.jobs import Job, JobLane
from undersign.domain.policy import default_policy
from undersign.domain.tenant import Tenant


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "undersign.db"


@pytest.fixture
async def sessions(database: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{database}"
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def rows_seen_by_another_connection(database: Path, table: str) -> int:
    """What a reader outside the writer's transaction sees: committed rows only."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


async def test_a_commit_that_wrote_outbox_messages_rings_and_nothing_else_does(sessions, database) -> None:
    rings: list[int] = []  # the outbox messages another connection saw at each ring
    unit_of_work = sql_unit_of_work_factory(
        sessions, FakeBlobStore(), lambda: rings.append(rows_seen_by_another_connection(database, "outbox"))
    )

    async with unit_of_work() as uow:  # written, no message: no ring
        await uow.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0))
        await uow.policies.add(default_policy(policy_id="policy-acme", tenant_id=ACME))
        await uow.commit()
    async with unit_of_work() as uow:  # messages, rolled back: no ring
        await uow.envelopes.add(sent("env-1", ACME, T0))
    assert rings == []

    async with unit_of_work() as uow:
        await uow.envelopes.add(sent("env-1", ACME, T0))
        await uow.commit()
        await uow.commit()  # nothing more written
    assert rings == [2]  # once for the commit (EnvelopeSent, SignerNotified), after it


async def test_queued_jobs_ring_their_lanes_once_committed(sessions, database) -> None:
    rung: list[tuple[set[JobLane], int]] = []  # the lanes, and the jobs another connection saw at the ring
    store = SqlJobStore(
        sessions, FakeClock(T0), lambda lanes: rung.append((lanes, rows_seen_by_another_connection(database, "jobs")))
    )

    await store.enqueue([])
    await store.enqueue([
        Job(id="notice:1", name="send_notice", args={}, lane=JobLane.ROUTINE),
        Job(id="notice:2", name="send_notice", args={}, lane=JobLane.ROUTINE),
    ])
    await store.enqueue([Job(id="seal:e1", name="seal_envelope", args={}, lane=JobLane.URGENT)])

    assert rung == [({JobLane.ROUTINE}, 2), ({JobLane.URGENT}, 3)]
