"""Engines and sessions for SQLite (embedded), PostgreSQL (asyncpg) and MySQL/MariaDB (asyncmy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from undersign.adapters.sql.sqlite_driver import OneTripAiosqlite

DEFAULT_SQLITE_BUSY_TIMEOUT = 10.0


def create_engine(
    url: str,
    *,
    busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    pool_timeout: float | None = None,
    connect_timeout: float | None = None,
    statement_timeout_ms: int | None = None,
    **settings: Any,
) -> AsyncEngine:
    """An async engine for `url`; `settings` go to SQLAlchemy's `create_async_engine`.

    SQLite (`sqlite+aiosqlite:///path`): every connection gets write-ahead logging (readers
    never block the writer), `busy_timeout` seconds of waiting for the write lock, foreign
    keys and `synchronous=NORMAL`; a statement goes to aiosqlite's thread and back once, not
    four times (sqlite_driver). The driver's default transaction handling is kept on
    purpose: BEGIN is only sent before the first write, so a unit of work that reads,
    spends a while signing PDFs and then writes holds no lock while it signs.

    The pool settings bound how many connections the process holds and how long a unit of
    work waits for one. On servers, `connect_timeout` (seconds) bounds opening a connection
    and `statement_timeout_ms` (0: no limit) each statement, so that an unreachable or stuck
    database fails a request quickly instead of hanging it; SQLite has neither.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if backend != "sqlite" or parsed.database not in (None, "", ":memory:"):  # in-memory SQLite has no queue pool
        settings.update({name: value for name, value in pool.items() if value is not None})
    if backend != "sqlite":
        settings.setdefault("pool_pre_ping", True)
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args = _asyncpg_arguments(connect_timeout, statement_timeout_ms)
    if backend in ("mysql", "mariadb"):
        # Avoids REPEATABLE READ's gap locks; the version column is what guards writes.
        settings.setdefault("isolation_level", "READ COMMITTED")
        connect_args = _asyncmy_arguments(connect_timeout, statement_timeout_ms)
    if backend == "sqlite" and parsed.get_driver_name() == "aiosqlite":
        settings.setdefault("module", OneTripAiosqlite())
    if connect_args:
        settings["connect_args"] = connect_args | settings.get("connect_args", {})
    engine = create_async_engine(url, **settings)
    if backend == "sqlite":
        _set_sqlite_pragmas(engine, busy_timeout_ms=int(busy_timeout * 1000))
    return engine


# How much longer than the server's own statement limit the driver waits for an answer
# before it gives up on a server that says nothing at all (a network partition, say).
_CLIENT_GRACE_SECONDS = 5.0


def _asyncpg_arguments(connect_timeout: float | None, statement_timeout_ms: int | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if connect_timeout is not None:
        arguments["timeout"] = connect_timeout
    if statement_timeout_ms:
        arguments["server_settings"] = {"statement_timeout": str(statement_timeout_ms)}
        arguments["command_timeout"] = statement_timeout_ms / 1000 + _CLIENT_GRACE_SECONDS
    return arguments


def _asyncmy_arguments(connect_timeout: float | None, statement_timeout_ms: int | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if connect_timeout is not None:
        arguments["connect_timeout"] = connect_timeout
    if statement_timeout_ms:
        # max_statement_time (seconds) is MariaDB's; inside /*M! ... */ MariaDB runs it and
        # MySQL, which has no such variable, sees a comment and sets only the dummy.
        seconds = statement_timeout_ms / 1000
        arguments["init_command"] = f"SET @undersign_connection = 1 /*M! , SESSION max_statement_time = {seconds} */"
    return arguments


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
