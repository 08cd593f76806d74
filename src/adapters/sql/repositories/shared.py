"""What every repository shares: telling a lost race from a bug, adding a row, and the execution options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.driver_errors import driver_error_code
from undersign.adapters.sql.tables.base import Base
from undersign.domain.errors import ConcurrencyConflict

# SQLite result codes (https://sqlite.org/rescode.html): the database is busy or locked,
# and the two constraint violations that mean another writer took the key first.
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_CONSTRAINT_PRIMARYKEY, _SQLITE_CONSTRAINT_UNIQUE = 1555, 2067
# PostgreSQL SQLSTATEs: serialization failure, deadlock (busy); unique violation.
_PG_BUSY = {"40001", "40P01"}
_PG_CONFLICTS = {"23505", *_PG_BUSY}
# MySQL/MariaDB error numbers: lock wait timeout, deadlock (busy); duplicate key.
_MYSQL_BUSY = {1205, 1213}
_MYSQL_CONFLICTS = {1062, *_MYSQL_BUSY}


def is_conflict(error: DBAPIError) -> bool:
    """Whether a driver error means another writer got there first (retrying may succeed).

    Other integrity errors (a missing foreign key, a NULL) are bugs and are not conflicts.
    """
    orig = error.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return (sqlite_code & 0xFF) in (_SQLITE_BUSY, _SQLITE_LOCKED) or sqlite_code in (
            _SQLITE_CONSTRAINT_PRIMARYKEY,
            _SQLITE_CONSTRAINT_UNIQUE,
        )
    code = driver_error_code(orig)
    return code in _MYSQL_CONFLICTS if isinstance(code, int) else code in _PG_CONFLICTS


def is_busy(error: DBAPIError) -> bool:
    """Whether the server made the writer wait and give up (SQLite's write lock, a lock wait, a deadlock,
    a serialization failure), rather than find its key taken."""
    orig = error.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return (sqlite_code & 0xFF) in (_SQLITE_BUSY, _SQLITE_LOCKED)
    code = driver_error_code(orig)
    return code in _MYSQL_BUSY if isinstance(code, int) else code in _PG_BUSY


@contextmanager
def conflicts_raise(detail: str) -> Iterator[None]:
    """Turn a lost race inside the block into ConcurrencyConflict(detail) (or, when the database was only
    busy, one that says so: "already exists" would be a lie the client cannot act on)."""
    try:
        yield
    except DBAPIError as error:
        if is_busy(error):
            raise ConcurrencyConflict("the database was busy with another change: try again") from error
        if is_conflict(error):
            raise ConcurrencyConflict(detail) from error
        raise


async def add_row(session: AsyncSession, row: Base, detail: str) -> None:
    """Add the row and flush it now, so that a key someone else took is a ConcurrencyConflict(detail) here."""
    session.add(row)
    with conflicts_raise(detail):
        await session.flush()


def rowcount(result: Any) -> int:
    """The rows an UPDATE or DELETE matched (execute() is typed as returning any Result)."""
    return cast(CursorResult[Any], result).rowcount


# Reads refresh rows already in the session's identity map: writes go through UPDATE
# statements that do not touch it, and a second read in one unit of work must see them.
FRESH = {"populate_existing": True}
NO_SYNC = {"synchronize_session": False}
