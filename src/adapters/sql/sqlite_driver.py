"""SQLite through aiosqlite with one thread hand-off per statement, not four.

aiosqlite runs each SQLite connection in a thread of its own and answers on the event loop.
SQLAlchemy's adapter sends it a statement in four hand-offs: open a cursor, execute, fetch
the rows, close the cursor. Each is a trip to the connection's thread and back to the loop,
~60 µs of CPU, mostly waking threads, where SQLite itself takes ~20 µs for one of our small
statements. This adapter does the four in one trip: the statement's rows, description,
row count and last row id come back together, and the cursor is already closed. A rollback
with no transaction open (the pool's, after every commit) makes no trip at all.

It is SQLAlchemy's aiosqlite dialect with another DBAPI adapter (`create_async_engine`'s
`module`), so URLs, pooling, statement caching, server-side cursors (which keep
SQLAlchemy's own cursor: their rows come a batch at a time) and error translation are
unchanged. It reaches into aiosqlite in two places, `Connection._execute` (run a function
in the connection's thread) and `Connection._conn` / `_connection` (the sqlite3 connection
there): the constraints file pins aiosqlite, and tests/integration/sql/test_sqlite_driver.py
fails on a release that moves them.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_


@dataclass(frozen=True, slots=True)
class _Executed:
    """What a statement left on its sqlite3 cursor, read in the connection's thread."""

    description: Any
    rows: list[Any]
    rowcount: int
    lastrowid: int | None


def _one_statement(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Executed:
    with closing(connection.cursor()) as cursor:
        cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Executed(cursor.description, rows, cursor.rowcount, cursor.lastrowid)


def _many_parameter_sets(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Executed:
    with closing(connection.cursor()) as cursor:
        cursor.executemany(operation, parameters)
        return _Executed(None, [], cursor.rowcount, cursor.lastrowid)


_NOT_EXECUTED = _Executed(None, [], -1, None)


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor over aiosqlite, each statement run, read and closed in one trip."""

    __slots__ = ("_executed",)

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here (that is a trip of its own): the statement opens one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._executed = _NOT_EXECUTED

    @property
    def description(self) -> Any:
        return self._executed.description

    @property
    def rowcount(self) -> int:
        return self._executed.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._executed.lastrowid

    @property
    def arraysize(self) -> int:
        return 1  # sqlite3's default, what fetchmany() without a size takes

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._in_one_trip(_one_statement, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._in_one_trip(_many_parameter_sets, operation, seq_of_parameters)

    async def _in_one_trip(self, run: Callable[..., _Executed], operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            self._executed = await connection._execute(run, connection._conn, operation, parameters)
            self._rows = collections.deque(self._executed.rows)

    async def _async_soft_close(self) -> None:
        return  # the sqlite3 cursor closed when its statement ended

    def close(self) -> None:
        self._rows.clear()


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor

    def rollback(self) -> None:
        # The pool rolls back every connection given back to it. Most have nothing open: the
        # unit of work committed, or only read (sqlite3 begins a transaction at the first
        # write). Asking sqlite3 is a read of its state, not a trip to the connection's thread.
        connection = self._connection._connection  # None once closed
        if connection is not None and connection.in_transaction:
            super().rollback()


class OneTripAiosqlite(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given: its connections send a statement in one trip."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> _OneTripConnection:
        connection = aiosqlite.connect(*args, **kwargs)
        connection._thread.daemon = True  # as SQLAlchemy's: a forgotten connection never holds the process up
        return _OneTripConnection(self, await_(connection))
