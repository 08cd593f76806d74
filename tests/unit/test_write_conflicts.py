"""retry_on_conflict: a unit of work that lost a race to another writer runs again, a bounded number of times."""

from __future__ import annotations

import asyncio

import pytest

from undersign.application.shared.write_conflicts import MAX_ATTEMPTS, MAX_PAUSE_SECONDS, retry_on_conflict
from undersign.domain.errors import ConcurrencyConflict, InvalidState


class Attempt:
    """An attempt that loses to another writer `conflicts` times, then returns "saved"."""

    def __init__(self, conflicts: int, error: Exception | None = None) -> None:
        self.conflicts, self.error, self.calls = conflicts, error, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        if self.calls <= self.conflicts:
            raise ConcurrencyConflict(f"envelope e1 changed (attempt {self.calls})")
        return "saved"


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between attempts, recorded instead of waited for (the event loop still turns)."""
    recorded: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return recorded


async def test_an_attempt_that_hits_conflicts_is_run_again_until_it_succeeds(pauses: list[float]) -> None:
    attempt = Attempt(conflicts=3)

    assert await retry_on_conflict(attempt) == "saved"

    assert attempt.calls == 4
    assert len(pauses) == 3  # one pause before each retry, none after the success
    assert all(0 <= pause <= MAX_PAUSE_SECONDS for pause in pauses), pauses


async def test_a_first_attempt_that_succeeds_runs_once_without_a_pause(pauses: list[float]) -> None:
    attempt = Attempt(conflicts=0)

    assert await retry_on_conflict(attempt) == "saved"

    assert (attempt.calls, pauses) == (1, [])


async def test_at_the_last_attempt_it_gives_up_with_the_last_conflict(pauses: list[float]) -> None:
    attempt = Attempt(conflicts=10)

    with pytest.raises(ConcurrencyConflict, match=r"^envelope e1 changed \(attempt 3\)$") as gave_up:
        await retry_on_conflict(attempt, attempts=3)

    assert gave_up.value.code == "conflict"
    assert attempt.calls == 3
    assert len(pauses) == 2


async def test_by_default_it_tries_max_attempts_times(pauses: list[float]) -> None:
    attempt = Attempt(conflicts=MAX_ATTEMPTS)

    with pytest.raises(ConcurrencyConflict, match=rf"\(attempt {MAX_ATTEMPTS}\)$"):
        await retry_on_conflict(attempt)

    assert attempt.calls == MAX_ATTEMPTS > 1
    assert len(pauses) == MAX_ATTEMPTS - 1
    assert all(0 <= pause <= MAX_PAUSE_SECONDS for pause in pauses), pauses


async def test_one_attempt_fewer_conflicts_than_the_maximum_still_succeeds(pauses: list[float]) -> None:
    attempt = Attempt(conflicts=MAX_ATTEMPTS - 1)

    assert await retry_on_conflict(attempt) == "saved"

    assert attempt.calls == MAX_ATTEMPTS


@pytest.mark.parametrize(
    "error", [InvalidState("the envelope is voided"), RuntimeError("the database went away")], ids=["domain", "other"]
)
async def test_an_error_other_than_a_conflict_is_not_retried(pauses: list[float], error: Exception) -> None:
    attempt = Attempt(conflicts=0, error=error)

    with pytest.raises(type(error)) as raised:
        await retry_on_conflict(attempt)

    assert raised.value is error
    assert (attempt.calls, pauses) == (1, [])
