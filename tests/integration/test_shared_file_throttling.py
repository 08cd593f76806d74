"""Throttling counts in a file under the data directory, shared by the API processes of one machine.

Each limiter below has a connection of its own to the same file, as two processes of
`undersign serve --workers 2` have; a real second process is exercised end to end in
tests/e2e/test_serve_workers.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fakes.system import FakeClock
from tests.stack import settings_for
from undersign.adapters.throttling import shared_file
from undersign.adapters.throttling.memory import MemoryRateLimiter
from undersign.adapters.throttling.shared_file import SharedFileRateLimiter
from undersign.application.access.throttling import Count
from undersign.entrypoints.container import build_container

WINDOW = 300
BUCKET = "auth:ip:198.51.100.7"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def two_processes(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[SharedFileRateLimiter, SharedFileRateLimiter]]:
    first, second = (SharedFileRateLimiter(tmp_path / "throttle.sqlite3", clock) for _ in range(2))
    yield first, second
    first.close()
    second.close()


async def test_one_process_sees_and_continues_the_other_processes_counts(two_processes) -> None:
    first, second = two_processes
    assert await second.peek(BUCKET) == Count(0, 0.0)

    await first.hit(BUCKET, WINDOW)
    await first.hit(BUCKET, WINDOW)

    assert await second.peek(BUCKET) == Count(2, WINDOW)
    assert await second.hit(BUCKET, WINDOW) == Count(3, WINDOW)
    assert (await first.peek("auth:ip:198.51.100.8")).hits == 0


async def test_concurrent_hits_from_two_processes_each_get_a_count_of_their_own(two_processes) -> None:
    first, second = two_processes
    counts = await asyncio.gather(*(limiter.hit(BUCKET, WINDOW) for limiter in [first, second] * 25))
    assert sorted(count.hits for count in counts) == list(range(1, 51))


async def test_a_window_ends_on_its_own_and_the_next_hit_opens_a_new_one(two_processes, clock) -> None:
    first, second = two_processes
    for _ in range(3):
        await first.hit(BUCKET, WINDOW)
    clock.advance(timedelta(seconds=WINDOW - 1))
    assert await second.peek(BUCKET) == Count(3, 1)

    clock.advance(timedelta(seconds=1))

    assert await second.peek(BUCKET) == Count(0, 0.0)
    assert await second.hit(BUCKET, 60) == Count(1, 60)


async def test_ended_windows_are_deleted_so_the_file_stays_small(tmp_path, clock, monkeypatch) -> None:
    monkeypatch.setattr(shared_file, "PURGE_EVERY", 10)
    limiter = SharedFileRateLimiter(tmp_path / "throttle.sqlite3", clock)
    for n in range(9):
        await limiter.hit(f"auth:ip:10.0.0.{n}", 60)
    clock.advance(timedelta(seconds=60))

    await limiter.hit(BUCKET, WINDOW)  # the tenth hit: ended windows go
    limiter.close()

    with sqlite3.connect(tmp_path / "throttle.sqlite3") as raw:
        assert raw.execute("SELECT bucket FROM windows").fetchall() == [(BUCKET,)]


async def test_a_file_that_cannot_be_written_throttles_nothing_and_fails_nothing(tmp_path, clock) -> None:
    (tmp_path / "throttle.sqlite3").mkdir()  # a directory where the file should be
    limiter = SharedFileRateLimiter(tmp_path / "throttle.sqlite3", clock)

    assert await limiter.hit(BUCKET, WINDOW) == Count(0, 0.0)
    assert await limiter.peek(BUCKET) == Count(0, 0.0)


def test_the_container_shares_counts_in_a_file_only_between_several_processes_without_redis(tmp_path: Path) -> None:
    several = build_container(settings_for(tmp_path / "a", UNDERSIGN_API_PROCESSES="2"))
    one = build_container(settings_for(tmp_path / "b"))
    assert isinstance(several.gateways.rate_limiter(), SharedFileRateLimiter)
    assert isinstance(one.gateways.rate_limiter(), MemoryRateLimiter)
