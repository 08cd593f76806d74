"""SQLite's single write lock, held by someone else past the busy timeout: the refusal says the database was
busy (never "already exists"), and adding to a draft is simply done again once the lock is free."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tests.fakes.pdf import FakePdfInspector
from tests.fakes.system import FakeBlobStore, FakeClock, SequentialIds
from tests.integration.sql.helpers import ACME, T0, draft
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.documents import AddDocument, AddDocumentHandler
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.policy import default_policy
from undersign.domain.tenant import AccessRole, Tenant


@pytest.fixture
async def database(tmp_path: Path):
    path = tmp_path / "busy.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    engine = create_engine(url, busy_timeout=0.2)
    uow = sql_unit_of_work_factory(create_session_factory(engine), FakeBlobStore())
    async with uow() as unit:
        await unit.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0))
        await unit.policies.add(default_policy(policy_id="policy-acme", tenant_id=ACME))
        await unit.envelopes.add(draft())
        await unit.commit()
    try:
        yield path, uow
    finally:
        await engine.dispose()


def hold_write_lock(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_a_busy_database_is_called_busy_not_a_duplicate(database) -> None:
    path, uow = database
    holder = hold_write_lock(path)
    try:
        with pytest.raises(ConcurrencyConflict, match="busy"):
            async with uow() as unit:
                await unit.envelopes.add(draft("env-2"))
                await unit.commit()
    finally:
        holder.rollback()
        holder.close()


async def test_an_upload_waits_out_a_held_write_lock_and_is_stored_once(database) -> None:
    path, uow = database
    caller = Caller(tenant_id=ACME, role=AccessRole.ADMIN, credential_id="k1", actor="api_key:k1")
    upload = AddDocumentHandler(uow, FakeClock(), SequentialIds(), FakePdfInspector())
    holder = hold_write_lock(path)

    async def release_later() -> None:
        await asyncio.sleep(0.5)  # longer than the busy timeout: the first attempt gives up
        holder.rollback()

    release = asyncio.create_task(release_later())
    document = await upload(AddDocument(caller=caller, envelope_id="env-1", filename="lease.pdf", content=b"%PDF-1.7 pages=1"))
    await release
    holder.close()
    async with uow() as unit:
        assert [d.id for d in await unit.documents.for_envelope(ACME, "env-1")] == [document.id]
