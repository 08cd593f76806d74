"""PDF work takes turns in a process, the seal first: a waiting seal starts before any other waiting operation."""

import asyncio

from undersign.adapters.signing.seal_first import PdfWorkGate


async def test_at_most_the_slots_run_and_a_waiting_urgent_one_goes_before_earlier_waiting_ones() -> None:
    gate, started, release = PdfWorkGate(slots=2), [], asyncio.Event()

    async def operation(name: str, *, urgent: bool) -> None:
        async with gate.slot(urgent=urgent):
            started.append(name)
            await release.wait()

    tasks = [asyncio.create_task(operation(f"sign-{n}", urgent=False)) for n in range(4)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(operation("seal", urgent=True)))
    await asyncio.sleep(0.01)
    assert started == ["sign-0", "sign-1"]  # two slots: the rest wait

    release.set()
    await asyncio.gather(*tasks)
    assert started == ["sign-0", "sign-1", "seal", "sign-2", "sign-3"]


async def test_a_waiter_that_gives_up_leaves_no_slot_taken() -> None:
    gate, release = PdfWorkGate(slots=1), asyncio.Event()

    async def hold() -> None:
        async with gate.slot(urgent=False):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    release.set()
    await holder
    await asyncio.wait_for(hold(), timeout=1)  # the one slot is free again
