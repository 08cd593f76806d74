"""pyHanko's clock during a verification: it starts at the validation time, and only there."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from pyhanko_certvalidator.ltv import ades_past, poe
from pyhanko_certvalidator.ltv.poe import POEManager, POEType

from undersign.adapters.signing.validation_clock import clock_at

LATER = datetime(2037, 6, 1, 12, 0, tzinfo=UTC)


def test_inside_the_block_pyhankos_clock_starts_at_the_validation_time_and_runs_on() -> None:
    with clock_at(LATER):
        first = ades_past.datetime.now(tz=UTC)
        proof = POEManager().register(b"embedded data", POEType.VALIDATION).poe_time  # dated "now"

    assert LATER <= first <= proof < LATER + timedelta(seconds=5)
    assert abs(ades_past.datetime.now(tz=UTC) - datetime.now(UTC)) < timedelta(seconds=5)  # the real clock again


def test_threads_and_tasks_verifying_at_other_times_each_see_their_own() -> None:
    async def seen_in_a_task() -> datetime:
        return await asyncio.create_task(asyncio.sleep(0, poe.datetime.now(UTC)))

    def seen_at(moment: datetime) -> datetime:
        with clock_at(moment):
            return asyncio.run(seen_in_a_task())

    moments = [LATER + timedelta(days=365 * n) for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        seen = list(pool.map(seen_at, moments))

    assert all(m <= s < m + timedelta(seconds=5) for m, s in zip(moments, seen, strict=True)), seen


def test_at_the_end_of_the_calendar_the_clock_stops() -> None:
    end = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

    with clock_at(end):
        assert ades_past.datetime.now(tz=UTC) == end
