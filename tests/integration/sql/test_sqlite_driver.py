"""SQLite's engine sends each statement to aiosqlite's connection thread once, and SQLAlchemy sees a
plain DBAPI cursor: rows, row counts, last row ids, many rows at once, streamed results and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from undersign.adapters.sql.engine import create_engine

ITEMS = sa.Table(
    "items", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String, unique=True)
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite'}")
    async with engine.begin() as connection:
        await connection.run_sync(ITEMS.metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function aiosqlite runs in a connection's thread, from now on."""
    ran: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        ran.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return ran


async def test_a_statement_goes_to_the_connection_thread_once(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as connection:
        await connection.execute(ITEMS.insert(), {"name": "a"})
        trips.clear()
        rows = (await connection.execute(sa.select(ITEMS.c.name))).all()
        assert trips == ["_one_statement"]  # SQLAlchemy's own adapter makes four: cursor, execute, fetchall, close
        assert rows == [("a",)]


async def test_a_connection_given_back_with_nothing_open_costs_no_trip(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as connection:
        await connection.execute(sa.select(ITEMS.c.name))
    async with engine.begin() as connection:
        await connection.execute(ITEMS.insert(), {"name": "kept"})
    assert trips == ["_one_statement", "_one_statement", "commit"]  # no rollback after either


async def test_a_connection_given_back_mid_write_is_rolled_back(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as connection:
        await connection.execute(ITEMS.insert(), {"name": "dropped"})
    assert trips == ["_one_statement", "rollback"]
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(ITEMS.c.name))).all() == []


async def test_rows_counts_and_ids_are_what_sqlite_reports(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(ITEMS.insert(), {"name": "first"})
        assert inserted.lastrowid == 1
        assert inserted.inserted_primary_key == (1,)
        many = await connection.execute(ITEMS.insert(), [{"name": f"n{i}"} for i in range(5)])
        assert many.rowcount == 5
        updated = await connection.execute(ITEMS.update().where(ITEMS.c.id > 3).values(name=ITEMS.c.name + "!"))
        assert updated.rowcount == 3
        returned = await connection.execute(sa.delete(ITEMS).where(ITEMS.c.id == 6).returning(ITEMS.c.name))
        assert returned.all() == [("n4!",)]
        assert (await connection.execute(sa.select(sa.func.count()).select_from(ITEMS))).scalar_one() == 5
        assert (await connection.execute(sa.select(ITEMS.c.id).where(ITEMS.c.id > 99))).first() is None


async def test_a_streamed_result_comes_in_batches(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(ITEMS.insert(), [{"name": f"n{i:03}"} for i in range(120)])
    async with engine.connect() as connection:
        result = await connection.stream(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))
        names = [row.name async for row in result]
    assert names == [f"n{i:03}" for i in range(120)]


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(ITEMS.insert(), {"name": "taken"})
        with pytest.raises(IntegrityError):
            await connection.execute(ITEMS.insert(), {"name": "taken"})
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(sa.text("SELECT * FROM missing"))
        assert (await connection.execute(sa.select(ITEMS.c.name))).scalars().all() == ["taken"]


async def test_each_connection_gets_the_pragmas(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        pragmas = [(await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one() for name in
                   ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")]  # fmt: skip
    assert pragmas == ["wal", 1, 1, 10_000]
