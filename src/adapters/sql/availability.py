"""Telling "the database is down, slow or out of connections" from every other error.

Those failures are nobody's bug and pass by themselves, so they become the application's
DatabaseUnavailable (an HTTP 503 with Retry-After) instead of an unexpected error.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from undersign.adapters.sql.driver_errors import driver_error_code
from undersign.application.shared.errors import DatabaseUnavailable

# PostgreSQL SQLSTATEs besides class 08 (connection exceptions): too many connections,
# statement_timeout, the server shutting down, crashing, starting up, an idle session timeout.
_PG_UNAVAILABLE = {"53300", "57014", "57P01", "57P02", "57P03", "57P05"}
# MySQL/MariaDB error numbers: too many connections, server shutdown, MariaDB's
# max_statement_time, MySQL's max_execution_time, and the client's connection errors
# (cannot connect by socket or TCP, server gone away, lost connection, SSL lost).
_MYSQL_UNAVAILABLE = {1040, 1053, 1969, 3024, 2002, 2003, 2006, 2013, 2055}

DETAIL = "the database does not answer right now; try again shortly"

log = structlog.get_logger("undersign.sql")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot serve now (retrying later may succeed)."""
    if isinstance(error, PoolTimeout):  # every connection in the pool is busy
        return True
    if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)):
        return True  # asyncpg lets these through unwrapped: refused, connect timeout, unknown host
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = driver_error_code(error.orig)
    if isinstance(code, int):
        return code in _MYSQL_UNAVAILABLE
    if isinstance(error.orig, (ConnectionError, TimeoutError)):
        return True
    return code.startswith("08") or code in _PG_UNAVAILABLE


def unavailable(error: BaseException) -> DatabaseUnavailable:
    """The application's error for `error`, logged here: on its way out the cause may be lost."""
    orig = getattr(error, "orig", None)
    # Class names only: a driver's message can quote the statement and its parameters.
    log.warning("database unavailable", error=type(error).__name__, driver_error=type(orig).__name__ if orig else None)
    return DatabaseUnavailable(DETAIL)


@contextmanager
def unavailable_raises() -> Iterator[None]:
    """Turn the database's unavailability inside the block into DatabaseUnavailable."""
    try:
        yield
    except Exception as error:
        if is_unavailable(error):
            raise unavailable(error) from error
        raise


@asynccontextmanager
async def own_session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for a short transaction outside any unit of work, with outages as DatabaseUnavailable.

    Closing the session may find the database gone too, so that is inside the translation.
    """
    with unavailable_raises():
        async with sessions() as session:
            yield session
