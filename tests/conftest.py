"""Servers for the whole test session (databases, Redis): each started on first use, stopped at the end.

`UNDERSIGN_TEST_POSTGRESQL_URL` / `UNDERSIGN_TEST_MARIADB_URL` point the tests at a server
of your own instead (a user who may create databases; each test makes its own).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers import MariaDBServer, PostgreSQLServer, RedisServer, running


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A PostgreSQL server's URL, naming a database to connect to (not to use)."""
    if override := os.environ.get("UNDERSIGN_TEST_POSTGRESQL_URL"):
        yield override
        return
    with running(PostgreSQLServer) as server:
        yield server.url()


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A MariaDB server's URL, naming a database to connect to (not to use)."""
    if override := os.environ.get("UNDERSIGN_TEST_MARIADB_URL"):
        yield override
        return
    with running(MariaDBServer) as server:
        yield server.url()



@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server of the test session's own; tests that need a clean one flush it."""
    with running(RedisServer) as server:
        yield server
