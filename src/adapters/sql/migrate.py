"""Schema migrations: the only way Undersign's tables are made or changed.

Alembic's command API with a configuration built here, so nothing but the package is
needed at runtime (no alembic.ini). Each function is synchronous; called from a thread
that runs an event loop (an async CLI command, a test) it does its work in a worker
thread, because the migration environment runs an event loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from undersign.adapters.sql.engine import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"

T = TypeVar("T")


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (the newest by default)."""
    _off_the_loop(lambda: command.upgrade(_config(url), revision))


def downgrade(url: str, revision: str = "-1") -> None:
    """Take the database at `url` back to `revision` (one step by default)."""
    _off_the_loop(lambda: command.downgrade(_config(url), revision))


def current(url: str) -> str | None:
    """The revision the database at `url` is at; None for a database never migrated."""
    return _off_the_loop(lambda: asyncio.run(_current(url)))


def head() -> str:
    """The newest revision this code knows: `current(url) == head()` means up to date."""
    revision = ScriptDirectory.from_config(_config("")).get_current_head()
    assert revision is not None, "the migrations directory has no revisions"
    return revision


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Not a main option: those go through ConfigParser, which reads "%" in passwords.
    config.attributes["url"] = url
    return config


async def _current(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revision_of)
    finally:
        await engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _off_the_loop(work: Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="undersign-migrate") as pool:
        return pool.submit(work).result()
