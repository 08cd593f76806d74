"""Webhook endpoints, and deliveries with their attempts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.integration.sql.helpers import ACME, GLOBEX, T0, Backend, datetimes_in, random_ids
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.webhook import DeliveryStatus, WebhookDelivery, WebhookEndpoint

# -- webhooks -------------------------------------------------------------------------------------


def _endpoint(endpoint_id: str, tenant_id: str = ACME, created_at: datetime = T0) -> WebhookEndpoint:
    return WebhookEndpoint.register(
        endpoint_id=endpoint_id, tenant_id=tenant_id, url="https://hooks.example.com/undersign?source=é&x=" + "q" * 1900,
        events=["recipient.signed", "envelope.sent", "envelope.completed"], secret=f"whsec_{endpoint_id}-secret",
        description="CRM sync — « prod »", now=created_at,
    )


async def test_webhook_endpoints_round_trip_oldest_first_per_tenant(backend: Backend, tenants: None) -> None:
    endpoints = [_endpoint("wh-b", created_at=T0), _endpoint("wh-c", created_at=T0 - timedelta(microseconds=1)),
                 _endpoint("wh-a", created_at=T0), _endpoint("wh-globex", tenant_id=GLOBEX)]
    async with backend.uow() as uow:
        for endpoint in endpoints:
            await uow.webhook_endpoints.add(endpoint)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_endpoints.for_tenant(ACME) == [endpoints[1], endpoints[2], endpoints[0]]
        assert await uow.webhook_endpoints.for_tenant(GLOBEX) == [endpoints[3]]
        assert await uow.webhook_endpoints.get(ACME, "wh-a") == endpoints[2]
        assert await uow.webhook_endpoints.get(GLOBEX, "wh-a") is None
        assert await uow.webhook_endpoints.get(ACME, "wh-globex") is None

    async with backend.uow() as uow:
        rotated = await uow.webhook_endpoints.get(ACME, "wh-a")
        rotated.rotate_secret(new_secret="whsec_new", now=T0 + timedelta(days=1, microseconds=3), overlap=timedelta(hours=24))
        await uow.webhook_endpoints.save(rotated)
        await uow.webhook_endpoints.delete(GLOBEX, "wh-b")  # another tenant's: nothing happens
        await uow.commit()

    async with backend.uow() as uow:
        loaded = await uow.webhook_endpoints.get(ACME, "wh-a")
        assert loaded == rotated
        assert loaded.previous_secret == "whsec_wh-a-secret"
        assert loaded.previous_secret_until == T0 + timedelta(days=2, microseconds=3)
        assert loaded.previous_secret_until.utcoffset() == timedelta(0)
        assert loaded.events == frozenset({"recipient.signed", "envelope.sent", "envelope.completed"})
        assert await uow.webhook_endpoints.get(ACME, "wh-b") == endpoints[0]
        await uow.webhook_endpoints.delete(ACME, "wh-b")
        await uow.commit()

    async with backend.uow() as uow:
        assert [e.id for e in await uow.webhook_endpoints.for_tenant(ACME)] == ["wh-c", "wh-a"]
        assert await uow.webhook_endpoints.get(ACME, "wh-b") is None


def _delivery(
    delivery_id: str, endpoint_id: str = "wh-1", tenant_id: str = ACME, subject: str = "signed", created_at: datetime = T0
) -> WebhookDelivery:
    payload = {"type": "recipient.signed", "timestamp": T0.isoformat(),
               "data": {"envelope_id": "env-1", "signer_id": "s-1", "note": subject}}
    return WebhookDelivery(id=delivery_id, tenant_id=tenant_id, endpoint_id=endpoint_id, event_type="recipient.signed",
                           payload=payload, created_at=created_at)


async def test_a_delivery_round_trips_with_its_attempts(backend: Backend, tenants: None) -> None:
    delivery = _delivery("msg_1")
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(delivery)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == delivery
        assert await uow.webhook_deliveries.get(GLOBEX, "msg_1") is None
        loaded = await uow.webhook_deliveries.get(ACME, "msg_1")
        loaded.record_attempt(at=T0 + timedelta(seconds=1, microseconds=1), status_code=None,
                              error="connection refused — 127.0.0.1", duration_ms=3)
        loaded.record_attempt(at=T0 + timedelta(seconds=30), status_code=503, error=None, duration_ms=15_000)
        await uow.webhook_deliveries.save(loaded)
        await uow.commit()

    async with backend.uow() as uow:
        again = await uow.webhook_deliveries.get(ACME, "msg_1")
        assert again == loaded
        again.record_attempt(at=T0 + timedelta(minutes=5), status_code=204, error=None, duration_ms=40)
        await uow.webhook_deliveries.save(again)
        await uow.commit()

    async with backend.uow() as uow:
        final = await uow.webhook_deliveries.get(ACME, "msg_1")
    assert final == again
    assert final.status is DeliveryStatus.SUCCEEDED
    assert [(a.number, a.status_code) for a in final.attempts] == [(1, None), (2, 503), (3, 204)]
    assert all(d.utcoffset() == timedelta(0) for d in datetimes_in(final))

    async with backend.uow() as uow:  # a status change alone, on a delivery not read in this unit of work
        final.redeliver()
        await uow.webhook_deliveries.save(final)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == final
        assert final.status is DeliveryStatus.PENDING and len(final.attempts) == 3


async def test_adding_a_delivery_again_keeps_the_first(backend: Backend, tenants: None) -> None:
    first = _delivery("msg_1")
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(first)
        await uow.webhook_deliveries.add(_delivery("msg_1", subject="same unit of work"))
        await uow.commit()

    async with backend.uow() as uow:  # a repeated dispatch
        await uow.webhook_deliveries.add(_delivery("msg_1", subject="repeated"))
        await uow.webhook_deliveries.add(_delivery("msg_2"))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == first
        assert await uow.webhook_deliveries.get(ACME, "msg_2") == _delivery("msg_2")


async def test_two_workers_recording_the_same_attempt_conflict(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(_delivery("msg_1"))
        await uow.commit()
    both_read = asyncio.Barrier(2)

    async def attempt(status_code: int) -> int:
        try:
            async with backend.uow() as uow:
                delivery = await uow.webhook_deliveries.get(ACME, "msg_1")
                await both_read.wait()
                delivery.record_attempt(at=T0, status_code=status_code, error=None, duration_ms=1)
                await uow.webhook_deliveries.save(delivery)
                await uow.commit()
            return status_code
        except ConcurrencyConflict:
            return 0

    results = await asyncio.wait_for(asyncio.gather(attempt(500), attempt(502)), timeout=30)

    assert sorted(results) in ([0, 500], [0, 502])
    async with backend.uow() as uow:
        delivery = await uow.webhook_deliveries.get(ACME, "msg_1")
    assert [(a.number, a.status_code) for a in delivery.attempts] == [(1, max(results))]


async def test_an_endpoints_deliveries_page_newest_first_then_by_id(backend: Backend, tenants: None) -> None:
    ids = random_ids(11)
    # Delivery ids are hashes, not times: the order is by creation, ids only break ties.
    created = {delivery_id: T0 + timedelta(minutes=n % 3) for n, delivery_id in enumerate(ids[:7])}
    async with backend.uow() as uow:
        await uow.webhook_endpoints.add(_endpoint("wh-1"))
        for delivery_id in ids[:7]:
            await uow.webhook_deliveries.add(_delivery(delivery_id, created_at=created[delivery_id]))
        for delivery_id in ids[7:9]:
            await uow.webhook_deliveries.add(_delivery(delivery_id, endpoint_id="wh-2"))
        for delivery_id in ids[9:]:
            await uow.webhook_deliveries.add(_delivery(delivery_id, tenant_id=GLOBEX))
        await uow.commit()
    async with backend.uow() as uow:  # deliveries outlive their endpoint
        await uow.webhook_endpoints.delete(ACME, "wh-1")
        await uow.commit()

    pages, before = [], None
    while True:
        async with backend.uow() as uow:
            page = await uow.webhook_deliveries.for_endpoint(ACME, "wh-1", limit=3, before=before)
        if not page:
            break
        pages.append([d.id for d in page])
        before = page[-1].id

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == sorted(ids[:7], key=lambda i: (created[i], i), reverse=True)
    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.for_endpoint(GLOBEX, "wh-1", limit=10, before=None) == [
            _delivery(i, tenant_id=GLOBEX) for i in sorted(ids[9:], reverse=True)
        ]
        assert await uow.webhook_deliveries.for_endpoint(GLOBEX, "wh-2", limit=10, before=None) == []


async def test_saving_an_endpoint_or_a_delivery_changes_that_one_in_its_tenant_only(
    backend: Backend, tenants: None
) -> None:
    async with backend.uow() as uow:
        await uow.webhook_endpoints.add(_endpoint("wh-1"))
        for delivery_id in ("msg_1", "msg_2"):
            await uow.webhook_deliveries.add(_delivery(delivery_id))
        await uow.commit()

    async with backend.uow() as uow:
        endpoint = await uow.webhook_endpoints.get(ACME, "wh-1")
        endpoint.rotate_secret(new_secret="whsec_stolen", now=T0, overlap=timedelta(hours=1))
        await uow.webhook_endpoints.save(replace(endpoint, tenant_id=GLOBEX))
        await uow.webhook_deliveries.save(replace(_delivery("msg_1", tenant_id=GLOBEX), status=DeliveryStatus.FAILED))
        await uow.webhook_deliveries.save(replace(_delivery("msg_2"), status=DeliveryStatus.SUCCEEDED))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_endpoints.get(ACME, "wh-1") == _endpoint("wh-1")
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == _delivery("msg_1")
        assert (await uow.webhook_deliveries.get(ACME, "msg_2")).status is DeliveryStatus.SUCCEEDED


async def test_a_delivery_saved_twice_in_one_unit_of_work_keeps_both_attempts(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(_delivery("msg_1"))
        await uow.commit()

    async with backend.uow() as uow:
        delivery = await uow.webhook_deliveries.get(ACME, "msg_1")
        delivery.record_attempt(at=T0, status_code=500, error=None, duration_ms=1)
        await uow.webhook_deliveries.save(delivery)
        delivery.record_attempt(at=T0 + timedelta(seconds=5), status_code=502, error=None, duration_ms=2)
        await uow.webhook_deliveries.save(delivery)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == delivery
        assert [(a.number, a.status_code) for a in delivery.attempts] == [(1, 500), (2, 502)]


async def test_an_attempt_recorded_by_another_since_the_delivery_was_read_conflicts(
    backend: Backend, tenants: None
) -> None:
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(_delivery("msg_1"))
        await uow.commit()

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as late:
            stale = await late.webhook_deliveries.get(ACME, "msg_1")
            async with backend.uow() as uow:
                first = await uow.webhook_deliveries.get(ACME, "msg_1")
                first.record_attempt(at=T0, status_code=500, error=None, duration_ms=1)
                await uow.webhook_deliveries.save(first)
                await uow.commit()
            stale.record_attempt(at=T0 + timedelta(seconds=1), status_code=502, error=None, duration_ms=1)
            await late.webhook_deliveries.save(stale)
            await late.commit()

    async with backend.uow() as uow:
        assert [(a.number, a.status_code) for a in (await uow.webhook_deliveries.get(ACME, "msg_1")).attempts] == [
            (1, 500)
        ]


async def test_a_page_cursor_from_elsewhere_gives_an_empty_page(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(_delivery("msg_old", created_at=T0))
        later = T0 + timedelta(days=1)
        await uow.webhook_deliveries.add(_delivery("msg_other_endpoint", endpoint_id="wh-2", created_at=later))
        await uow.webhook_deliveries.add(_delivery("msg_other_tenant", tenant_id=GLOBEX, created_at=later))
        await uow.commit()

    async with backend.uow() as uow:
        page = await uow.webhook_deliveries.for_endpoint(ACME, "wh-1", limit=5, before=None)
        assert [d.id for d in page] == ["msg_old"]
        for before in ("msg_other_endpoint", "msg_other_tenant", "msg_unknown"):
            assert await uow.webhook_deliveries.for_endpoint(ACME, "wh-1", limit=5, before=before) == []
