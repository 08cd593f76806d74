"""The `backend` each persistence test runs on (the fakes, SQLite, PostgreSQL, MariaDB), and two tenants in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.database import FakeDatabase
from tests.fakes.system import FakeBlobStore
from tests.fakes.unit_of_work import FakeUnitOfWork
from tests.integration.sql.helpers import ACME, BACKENDS, GLOBEX, T0, Backend
from tests.servers import empty_database
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.domain.policy import default_policy
from undersign.domain.tenant import Tenant


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    blobs = FakeBlobStore()
    if request.param == "fake":
        db = FakeDatabase()
        yield Backend("fake", lambda: FakeUnitOfWork(db, blobs), blobs, db=db)
        return
    async with empty_database(request.param, request, tmp_path) as url:
        migrate.upgrade(url)  # from inside a running event loop, as an async CLI command would
        engine = create_engine(url)
        try:
            yield Backend(request.param, sql_unit_of_work_factory(create_session_factory(engine), blobs), blobs, engine)
        finally:
            await engine.dispose()


@pytest.fixture
async def tenants(backend: Backend) -> None:
    """Two tenants, each with its default policy (SQL rows refer to their tenant)."""
    async with backend.uow() as uow:
        for tenant_id in (ACME, GLOBEX):
            await uow.tenants.add(Tenant(id=tenant_id, slug=tenant_id.removeprefix("tenant-"), created_at=T0))
            await uow.policies.add(default_policy(policy_id=f"policy-{tenant_id}", tenant_id=tenant_id))
        await uow.commit()
