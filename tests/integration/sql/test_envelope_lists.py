"""Listing a tenant's envelopes: keyset pages, and the status, recipient and creation-time filters."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from tests.integration.sql.helpers import (
    ACME,
    GLOBEX,
    SQL_BACKENDS,
    T0,
    Backend,
    draft,
    listed,
    random_ids,
    statements_sent,
    stored,
    with_recipients,
)
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.signer import Role

# -- listing --------------------------------------------------------------------------------

@pytest.fixture
async def twenty_five(backend: Backend, tenants: None) -> list[Envelope]:
    """25 envelopes of ACME, 20 of them created at the same instant, one in three sent."""
    ids = random_ids(25)
    moments = [T0] * 20 + [T0 - timedelta(microseconds=1), T0 + timedelta(microseconds=1),
                           T0 - timedelta(days=1), T0 + timedelta(days=3), T0 + timedelta(seconds=1)]
    envelopes = [
        listed(envelope_id, moment, EnvelopeStatus.SENT if i % 3 == 0 else EnvelopeStatus.DRAFT)
        for i, (envelope_id, moment) in enumerate(zip(ids, moments, strict=True))
    ]
    others = [listed(f"globex-{i}", T0, EnvelopeStatus.SENT, tenant_id=GLOBEX) for i in range(3)]
    await stored(backend, *envelopes[::2], *others, *envelopes[1::2])
    return sorted(envelopes, key=lambda e: (e.created_at, e.id), reverse=True)


async def _all_pages(backend: Backend, *, status: EnvelopeStatus | None, limit: int) -> list[list[str]]:
    pages, after = [], None
    while True:
        async with backend.uow() as uow:
            page = await uow.envelopes.list(ACME, where=EnvelopeFilter(status=status), limit=limit, after=after)
        if not page:
            return pages
        pages.append([e.id for e in page])
        after = EnvelopeCursor(created_at=page[-1].created_at, id=page[-1].id)


async def test_keyset_pages_return_every_envelope_once_newest_first(
    backend: Backend, twenty_five: list[Envelope]
) -> None:
    pages = await _all_pages(backend, status=None, limit=7)

    assert [len(p) for p in pages] == [7, 7, 7, 4]
    assert [i for page in pages for i in page] == [e.id for e in twenty_five]


async def test_listing_filters_by_status(backend: Backend, twenty_five: list[Envelope]) -> None:
    pages = await _all_pages(backend, status=EnvelopeStatus.SENT, limit=4)

    sent = [e.id for e in twenty_five if e.status is EnvelopeStatus.SENT]
    assert len(sent) == 9
    assert [i for page in pages for i in page] == sent
    async with backend.uow() as uow:
        assert await uow.envelopes.list(ACME, where=EnvelopeFilter(status=EnvelopeStatus.VOIDED), limit=10, after=None) == []


async def test_listed_envelopes_are_whole(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.add_signer(signer_id="s-1", name="Ada", email="ada@example.com", role=Role.SIGNER,
                        routing_order=None, now=T0, actor="api_key:k1")
    await stored(backend, envelope, draft("env-2", now=T0 + timedelta(seconds=1)))

    async with backend.uow() as uow:
        page = await uow.envelopes.list(ACME, where=EnvelopeFilter(), limit=10, after=None)

    assert [e.id for e in page] == ["env-2", "env-1"]
    assert page[1] == envelope


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_a_page_is_loaded_in_a_bounded_number_of_queries(backend: Backend, twenty_five: list[Envelope]) -> None:
    with statements_sent(backend) as statements:
        async with backend.uow() as uow:
            page = await uow.envelopes.list(ACME, where=EnvelopeFilter(), limit=25, after=None)

    assert len(page) == 25
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3

# -- listing with filters -------------------------------------------------------------------

@pytest.fixture
async def thirty(backend: Backend, tenants: None) -> list[Envelope]:
    """30 envelopes of ACME over three days, two at each instant, with ada, bob and carol among
    their recipients in different roles; GLOBEX has envelopes for ada too. Newest first."""
    envelopes = []
    for i, envelope_id in enumerate(random_ids(30)):
        recipients = []
        if i % 2 == 0:
            recipients.append(("ada@example.com", Role.SIGNER))
        if i % 3 == 0:
            recipients.append(("bob@example.com", Role.APPROVER))
        if i % 5 == 0:
            recipients.append(("carol@example.com", Role.CC))
        status = EnvelopeStatus.SENT if i % 4 == 0 else EnvelopeStatus.DRAFT
        envelopes.append(with_recipients(listed(envelope_id, T0 + timedelta(hours=5 * (i // 2)), status), *recipients))
    others = [
        with_recipients(listed(f"globex-{i}", T0 + timedelta(hours=i), EnvelopeStatus.SENT, tenant_id=GLOBEX),
                         ("ada@example.com", Role.SIGNER))
        for i in range(3)
    ]
    await stored(backend, *envelopes[1::2], *others, *envelopes[::2])
    return sorted(envelopes, key=lambda e: (e.created_at, e.id), reverse=True)


async def _pages(backend: Backend, limit: int, after: EnvelopeCursor | None = None, **filters: Any) -> list[list[str]]:
    pages = []
    while True:
        async with backend.uow() as uow:
            page = await uow.envelopes.list(ACME, where=EnvelopeFilter(**filters), limit=limit, after=after)
        if not page:
            return pages
        pages.append([e.id for e in page])
        after = EnvelopeCursor(created_at=page[-1].created_at, id=page[-1].id)


def _ids(pages: list[list[str]]) -> list[str]:
    return [i for page in pages for i in page]


async def test_listing_filters_by_any_recipients_email(backend: Backend, thirty: list[Envelope]) -> None:
    for email in ("ada@example.com", "bob@example.com", "carol@example.com"):
        expected = [e.id for e in thirty if any(s.email == email for s in e.signers)]

        assert _ids(await _pages(backend, 4, signer_email=email)) == expected

    assert await _pages(backend, 4, signer_email="nobody@example.com") == []


async def test_listing_filters_by_creation_time_from_inclusive_to_exclusive(
    backend: Backend, thirty: list[Envelope]
) -> None:
    start, end = T0 + timedelta(hours=10), T0 + timedelta(hours=40)  # both instants of two envelopes
    expected = [e.id for e in thirty if start <= e.created_at < end]
    assert len(expected) == 12

    assert _ids(await _pages(backend, 5, created_after=start, created_before=end)) == expected
    paris = timezone(timedelta(hours=2))  # the same instants, written with another offset
    assert _ids(await _pages(backend, 5, created_after=start.astimezone(paris), created_before=end.astimezone(paris))) == expected
    assert _ids(await _pages(backend, 5, created_before=T0 + timedelta(microseconds=1))) == [e.id for e in thirty[-2:]]
    assert await _pages(backend, 5, created_after=end, created_before=start) == []


async def test_listing_filters_combine(backend: Backend, thirty: list[Envelope]) -> None:
    start = T0 + timedelta(hours=15)
    expected = [
        e.id for e in thirty
        if e.status is EnvelopeStatus.SENT and e.created_at >= start and any(s.email == "ada@example.com" for s in e.signers)
    ]
    assert len(expected) == 6

    pages = await _pages(backend, 4, status=EnvelopeStatus.SENT, created_after=start, signer_email="ada@example.com")

    assert [len(p) for p in pages] == [4, 2]
    assert _ids(pages) == expected


async def test_a_cursor_from_other_filters_still_continues_from_its_position(
    backend: Backend, thirty: list[Envelope]
) -> None:
    async with backend.uow() as uow:
        first = await uow.envelopes.list(ACME, where=EnvelopeFilter(status=EnvelopeStatus.SENT), limit=3, after=None)
    cursor = EnvelopeCursor(created_at=first[-1].created_at, id=first[-1].id)
    ada = [e for e in thirty if any(s.email == "ada@example.com" for s in e.signers)]

    continued = _ids(await _pages(backend, 4, after=cursor, signer_email="ada@example.com"))

    assert continued == [e.id for e in ada if (e.created_at, e.id) < (cursor.created_at, cursor.id)]
    # Another tenant's position only says where to start: ACME's envelopes are all that come back.
    globex = EnvelopeCursor(created_at=T0 + timedelta(hours=2), id="globex-2")
    assert _ids(await _pages(backend, 10, after=globex)) == [e.id for e in thirty if e.created_at < globex.created_at]
