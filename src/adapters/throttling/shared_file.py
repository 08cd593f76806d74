"""Throttling counts in a small SQLite file under the data directory, shared by every API
process of one machine: `undersign serve --workers N` without Redis.

Each process's own memory would give a client N allowances, one per process it lands on.
A hit is one statement (an upsert that opens, continues or restarts the bucket's window and
returns the count), and SQLite's write lock makes each one atomic between processes. The
counts are not records: the file is written without waiting for the disk (a power cut
forgets them), and ended windows are deleted every PURGE_EVERY hits, so it stays small
however many addresses an attacker rotates through.

If the file cannot be written in time (locked past BUSY_TIMEOUT_SECONDS, the disk full),
nothing is throttled and a warning says so, as with Redis down: an API refusing every
request would be worse than one that counts nothing for a while.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import structlog

from undersign.application.access.throttling import Count
from undersign.application.shared.ports import Clock

BUSY_TIMEOUT_SECONDS = 1.0  # every request waits on this: a stuck writer must not stall the API
PURGE_EVERY = 1_000  # hits between deletions of ended windows
WARN_EVERY = 30.0

SCHEMA = "CREATE TABLE IF NOT EXISTS windows (bucket TEXT PRIMARY KEY, hits INTEGER NOT NULL, ends REAL NOT NULL)"
# A bucket's window goes on while it has not ended; one that ended starts again at this hit.
HIT = """
INSERT INTO windows (bucket, hits, ends) VALUES (:bucket, 1, :ends)
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN windows.ends <= :now THEN 1 ELSE windows.hits + 1 END,
    ends = CASE WHEN windows.ends <= :now THEN excluded.ends ELSE windows.ends END
RETURNING hits, ends
"""
PEEK = "SELECT hits, ends FROM windows WHERE bucket = :bucket AND ends > :now"
PURGE = "DELETE FROM windows WHERE ends <= :now"

log = structlog.get_logger("undersign.throttling")


class SharedFileRateLimiter:
    """A RateLimiter on a SQLite file; one connection per process, used by one thread at a time."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self._path, self._clock = path, clock
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._hits_since_purge = 0
        self._warned_at = -WARN_EVERY

    async def peek(self, bucket: str) -> Count:
        now = self._now()
        row = await self._run(PEEK, {"bucket": bucket, "now": now})
        return Count(0, 0.0) if row is None else Count(int(row[0]), row[1] - now)

    async def hit(self, bucket: str, window_seconds: int) -> Count:
        now = self._now()
        row = await self._run(HIT, {"bucket": bucket, "now": now, "ends": now + window_seconds}, counts_a_hit=True)
        return Count(0, 0.0) if row is None else Count(int(row[0]), row[1] - now)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    async def _run(self, statement: str, values: dict[str, object], *, counts_a_hit: bool = False) -> tuple | None:
        try:
            return await asyncio.to_thread(self._execute, statement, values, counts_a_hit)
        except sqlite3.Error as error:
            if time.monotonic() - self._warned_at >= WARN_EVERY:
                self._warned_at = time.monotonic()
                log.warning("the throttling file cannot be written: requests are not throttled",
                            error=str(error), path=str(self._path))
            return None

    def _execute(self, statement: str, values: dict[str, object], counts_a_hit: bool) -> tuple | None:
        with self._lock:
            connection = self._connected()
            row = connection.execute(statement, values).fetchone()
            if counts_a_hit:
                self._hits_since_purge += 1
                if self._hits_since_purge >= PURGE_EVERY:
                    self._hits_since_purge = 0
                    connection.execute(PURGE, {"now": values["now"]})
            return row

    def _connected(self) -> sqlite3.Connection:
        if self._connection is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: each statement is its own transaction, holding the write lock only while it runs.
            connection = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")  # counts, not records: no wait for the disk
            connection.execute(SCHEMA)
            self._connection = connection
        return self._connection

    def _now(self) -> float:
        """Wall-clock seconds: the same in every process of the machine."""
        return self._clock.now().timestamp()
