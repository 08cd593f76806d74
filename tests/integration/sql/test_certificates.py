"""The revocations of signers' certificates: one per serial, the first kept, listed in time order; revoking races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.fakes.system import FakeClock
from tests.integration.sql.helpers import BACKENDS, T0, Backend
from undersign.application.signing.certificate_revocations import CertificateRevocations
from undersign.domain.certificate_revocation import CertificateRevocation, RevocationReason

SERIAL = "4f2a9c01d3e5b7a9c1e3f5a7b9d1e3f5a7b9c1d3"  # 40 digits: the longest serial RFC 5280 allows


def revocation(
    serial: str, at_seconds: float = 0, reason: RevocationReason = RevocationReason.KEY_COMPROMISE,
    by: str | None = None,
) -> CertificateRevocation:
    at = T0 + timedelta(seconds=at_seconds)
    return CertificateRevocation(serial=serial, revoked_at=at, reason=reason, revoked_by=by)


async def test_a_revocation_is_found_by_its_serial_as_stored(backend: Backend) -> None:
    first = revocation(SERIAL, by="operator:zoë")
    async with backend.uow() as uow:
        assert await uow.certificate_revocations.add(first) is True
        assert await uow.certificate_revocations.get(SERIAL) == first  # seen inside its own unit of work
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.get(SERIAL) == first
        assert (await uow.certificate_revocations.get(SERIAL)).revoked_at == T0  # microseconds and zone kept
        assert await uow.certificate_revocations.get("4f2a") is None
        assert await uow.certificate_revocations.get(SERIAL.upper()) is None  # serials compare byte-wise


async def test_adding_a_revoked_serial_again_answers_false_and_keeps_the_first(backend: Backend) -> None:
    first, again = revocation("1"), revocation("1", at_seconds=60, reason=RevocationReason.SUPERSEDED, by="someone")
    async with backend.uow() as uow:
        assert await uow.certificate_revocations.add(first) is True
        assert await uow.certificate_revocations.add(again) is False  # in the same unit of work
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.add(again) is False
        assert await uow.certificate_revocations.add(revocation("2", at_seconds=5)) is True  # still usable
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.all() == [first, revocation("2", at_seconds=5)]


async def test_all_is_in_time_order_then_by_serial(backend: Backend) -> None:
    late, early_b, early_a, middle = revocation("ff", 30), revocation("b", 0), revocation("a1", 0), revocation("0", 10)
    async with backend.uow() as uow:
        assert await uow.certificate_revocations.all() == []
        for each in (late, early_b, early_a, middle):
            assert await uow.certificate_revocations.add(each)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.all() == [early_a, early_b, middle, late]


async def test_a_revocation_not_committed_is_not_kept(backend: Backend) -> None:
    async with backend.uow() as uow:
        assert await uow.certificate_revocations.add(revocation("abc"))

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.get("abc") is None
        assert await uow.certificate_revocations.all() == []


# The fake cannot wait for another writer's lock (its commit raises ConcurrencyConflict instead): databases only.
@pytest.mark.parametrize("backend", [name for name in BACKENDS if name != "fake"], indirect=True)
async def test_of_two_writers_of_one_serial_the_second_waits_and_finds_it_taken(backend: Backend) -> None:
    first, second = revocation(SERIAL), revocation(SERIAL, at_seconds=1, reason=RevocationReason.SUPERSEDED)

    async def second_writer() -> bool:
        async with backend.uow() as uow:
            added = await uow.certificate_revocations.add(second)
            if added:
                await uow.commit()
            return added

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.add(first)
        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.5)  # the second writer's INSERT now waits for the first's
        assert not waiting.done()
        await uow.commit()
    assert await waiting is False

    async with backend.uow() as uow:
        assert await uow.certificate_revocations.all() == [first]


async def test_revoking_at_once_in_two_places_makes_one_revocation(backend: Backend) -> None:
    """Through the use case: whichever call wins, both answer the one revocation on record."""
    revocations = CertificateRevocations(backend.uow, FakeClock(T0))
    answers = await asyncio.gather(
        revocations.revoke(SERIAL, RevocationReason.KEY_COMPROMISE, revoked_by="operator:a"),
        revocations.revoke(SERIAL, RevocationReason.SUPERSEDED, revoked_by="operator:b"),
    )

    assert sorted(made for _, made in answers) == [False, True]
    [(on_record, _), (other, _)] = answers
    assert on_record == other == await revocations.status(SERIAL)
    assert await revocations.revocations() == [on_record]
