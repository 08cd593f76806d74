"""Engines and sessions for SQLite (embedded), PostgreSQL (asyncpg) and MySQL/MariaDB (asyncmy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

DEFAULT_SQLITE_BUSY_TIMEOUT = 10.0


def create_engine(url: str, *, busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT, **settings: Any) -> AsyncEngine:
    """An async engine for `url`; `settings` go to SQLAlchemy's `create_async_engine`.

    SQLite (`sqlite+aiosqlite:///path`): every connection gets write-ahead logging (readers
    never block the writer), `busy_timeout` seconds of waiting for the write lock, foreign
    keys and `synchronous=NORMAL`. The driver's default transaction handling is kept on
    purpose: BEGIN is only sent before the first write, so a unit of work that reads,
    spends a while signing PDFs and then writes holds no lock while it signs.
    """
    backend = make_url(url).get_backend_name()
    if backend in ("mysql", "mariadb"):
        # Avoids REPEATABLE READ's gap locks; the version column is what guards writes.
        settings.setdefault("isolation_level", "READ COMMITTED")
    if backend != "sqlite":
        settings.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **settings)
    if backend == "sqlite":
        _set_sqlite_pragmas(engine, busy_timeout_ms=int(busy_timeout * 1000))
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (the domain never sees them expire)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _set_sqlite_pragmas(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def set_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()
