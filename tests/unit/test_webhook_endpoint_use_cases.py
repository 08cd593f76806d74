"""A tenant's webhook endpoints on fakes: who manages them, listing and reading them, rotation, redelivery."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from tests.unit.flows import envelope_with
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.shared.errors import Forbidden
from undersign.application.webhooks.delivery import DeliverWebhookJob
from undersign.application.webhooks.endpoints import RegisterWebhook
from undersign.domain.errors import NotFound
from undersign.domain.tenant import AccessRole
from undersign.domain.webhook import DeliveryStatus


async def key_of(platform, slug: str, role: AccessRole):
    return await platform.tenants.authenticate((await platform.tenants.create_api_key(slug, role)).key)


async def register(platform, caller, url="https://hooks.example/in", description=""):
    return await platform.webhooks.register(
        RegisterWebhook(caller=caller, url=url, events=["envelope.sent"], description=description)
    )


@pytest.fixture
async def globex(platform, caller):
    """An admin of another tenant, with an endpoint of its own."""
    await platform.tenants.create("globex")
    admin = await key_of(platform, "globex", AccessRole.ADMIN)
    await register(platform, admin, url="https://globex.example/in")
    return admin


async def a_delivery(platform, caller, endpoint_id: str):
    """A sent envelope's delivery to `endpoint_id`, failed for good (the endpoint refused every attempt)."""
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    platform.webhook_sender.refuse_first = 1_000
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.run_background()
    platform.webhook_sender.refuse_first = 0
    [delivery] = [d for d in platform.db.webhook_deliveries.values() if d.endpoint_id == endpoint_id]
    assert delivery.status is DeliveryStatus.FAILED
    return delivery


def secret_value(secret: str) -> str:
    assert secret.startswith("whsec_")
    return base64.b64decode(secret.removeprefix("whsec_")).decode()


# -- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR])
async def test_only_owners_and_admins_manage_webhooks(platform, caller, role):
    endpoint = await register(platform, caller)
    delivery = await a_delivery(platform, caller, endpoint.id)
    queued = list(platform.job_queue.jobs)
    other = await key_of(platform, "acme", role)
    for act in (
        lambda: platform.webhooks.list(other), lambda: platform.webhooks.get(other, endpoint.id),
        lambda: platform.webhooks.delete(other, endpoint.id),
        lambda: platform.webhooks.rotate_secret(other, endpoint.id),
        lambda: platform.webhooks.deliveries(other, endpoint.id, limit=10),
        lambda: platform.webhooks.redeliver(other, endpoint.id, delivery.id),
    ):
        with pytest.raises(Forbidden, match="webhooks:manage") as refused:
            await act()
        assert refused.value.code == "forbidden"
    assert platform.db.webhook_endpoints[endpoint.id].secret == endpoint.secret
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.FAILED
    assert platform.job_queue.jobs == queued


async def test_an_owner_manages_webhooks_too(platform, caller):
    owner = await key_of(platform, "acme", AccessRole.OWNER)
    endpoint = await register(platform, owner)
    assert [e.id for e in await platform.webhooks.list(owner)] == [endpoint.id]
    assert (await platform.webhooks.get(owner, endpoint.id)).id == endpoint.id


# -- list and get ---------------------------------------------------------------------------


async def test_the_list_holds_the_tenants_endpoints_oldest_first(platform, caller, globex):
    assert await platform.webhooks.list(caller) == []
    first = await register(platform, caller, url="https://hooks.example/a", description="billing")
    platform.clock.advance(timedelta(minutes=1))
    second = await register(platform, caller, url="https://hooks.example/b")
    listed = await platform.webhooks.list(caller)
    assert [(e.id, e.url, e.description) for e in listed] == [
        (first.id, "https://hooks.example/a", "billing"), (second.id, "https://hooks.example/b", ""),
    ]
    assert {e.tenant_id for e in listed} == {caller.tenant_id}
    assert [e.url for e in await platform.webhooks.list(globex)] == ["https://globex.example/in"]


async def test_an_endpoint_is_read_back_as_registered(platform, caller):
    endpoint = await register(platform, caller, description="billing")
    read = await platform.webhooks.get(caller, endpoint.id)
    assert read == endpoint
    assert read.events == frozenset({"envelope.sent"}) and read.created_at == platform.clock.now()


async def test_another_tenants_endpoint_is_not_found(platform, caller, globex):
    [theirs] = await platform.webhooks.list(globex)
    with pytest.raises(NotFound, match=theirs.id):
        await platform.webhooks.get(caller, theirs.id)
    with pytest.raises(NotFound):
        await platform.webhooks.get(caller, "no-such-endpoint")
    for act in (
        lambda: platform.webhooks.delete(caller, theirs.id), lambda: platform.webhooks.rotate_secret(caller, theirs.id),
        lambda: platform.webhooks.deliveries(caller, theirs.id, limit=10),
        lambda: platform.webhooks.redeliver(caller, theirs.id, "msg_x"),
    ):
        with pytest.raises(NotFound):
            await act()
    assert platform.db.webhook_endpoints[theirs.id] == theirs


async def test_a_deleted_endpoint_is_gone_from_the_list_and_not_found(platform, caller):
    kept, dropped = await register(platform, caller), await register(platform, caller)
    await platform.webhooks.delete(caller, dropped.id)
    assert [e.id for e in await platform.webhooks.list(caller)] == [kept.id]
    with pytest.raises(NotFound):
        await platform.webhooks.get(caller, dropped.id)
    with pytest.raises(NotFound):
        await platform.webhooks.delete(caller, dropped.id)


# -- rotate_secret --------------------------------------------------------------------------


async def test_a_rotation_keeps_the_old_secret_for_a_day_and_is_stored(platform, caller):
    endpoint = await register(platform, caller)
    platform.clock.advance(timedelta(hours=2))
    rotated = await platform.webhooks.rotate_secret(caller, endpoint.id)
    assert secret_value(rotated.secret).startswith("secret-") and rotated.secret != endpoint.secret
    assert rotated.previous_secret == endpoint.secret
    assert rotated.previous_secret_until == platform.clock.now() + timedelta(hours=24)
    assert platform.db.webhook_endpoints[endpoint.id] == rotated
    assert await platform.webhooks.get(caller, endpoint.id) == rotated

    again = await platform.webhooks.rotate_secret(caller, endpoint.id)
    assert again.previous_secret == rotated.secret and len({endpoint.secret, rotated.secret, again.secret}) == 3


# -- redeliver ------------------------------------------------------------------------------


async def test_a_redelivery_is_the_same_message_pending_and_queued_again(platform, caller):
    endpoint = await register(platform, caller)
    delivery = await a_delivery(platform, caller, endpoint.id)
    again = await platform.webhooks.redeliver(caller, endpoint.id, delivery.id)
    assert (again.id, again.status) == (delivery.id, DeliveryStatus.PENDING)
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.PENDING
    [job] = platform.job_queue.jobs
    assert job.id.startswith(f"webhook:{delivery.id}:again:")
    assert DeliverWebhookJob.of(job) == DeliverWebhookJob(tenant_id=caller.tenant_id, delivery_id=delivery.id)


async def test_only_a_delivery_of_that_endpoint_is_redelivered(platform, caller):
    endpoint, other = await register(platform, caller), await register(platform, caller, url="https://hooks.example/b")
    delivery = await a_delivery(platform, caller, endpoint.id)
    with pytest.raises(NotFound, match=f"no delivery {delivery.id} for webhook {other.id}"):
        await platform.webhooks.redeliver(caller, other.id, delivery.id)
    with pytest.raises(NotFound):
        await platform.webhooks.redeliver(caller, endpoint.id, "msg_unknown")
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.FAILED
    assert platform.job_queue.jobs == []


async def test_a_deleted_endpoints_deliveries_are_not_redelivered(platform, caller):
    endpoint = await register(platform, caller)
    delivery = await a_delivery(platform, caller, endpoint.id)
    await platform.webhooks.delete(caller, endpoint.id)
    with pytest.raises(NotFound, match=f"no webhook {endpoint.id}"):
        await platform.webhooks.redeliver(caller, endpoint.id, delivery.id)
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.FAILED
    assert platform.job_queue.jobs == []


async def test_an_endpoints_deliveries_are_read_newest_first_a_page_at_a_time(platform, caller):
    endpoint = await register(platform, caller)
    for _ in range(3):
        envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
        await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
        await platform.dispatcher.dispatch()
        platform.clock.advance(timedelta(minutes=1))
    later = await register(platform, caller, url="https://hooks.example/b")  # hears of no envelope sent before
    oldest_first = sorted(platform.db.webhook_deliveries.values(), key=lambda d: d.created_at)
    assert {d.endpoint_id for d in oldest_first} == {endpoint.id} and len(oldest_first) == 3

    page = await platform.webhooks.deliveries(caller, endpoint.id, limit=2)
    assert [d.id for d in page] == [oldest_first[2].id, oldest_first[1].id]
    rest = await platform.webhooks.deliveries(caller, endpoint.id, limit=2, before=page[-1].id)
    assert [d.id for d in rest] == [oldest_first[0].id]
    assert await platform.webhooks.deliveries(caller, later.id, limit=2) == []


async def test_another_tenants_delivery_is_not_redelivered(platform, caller, globex):
    [theirs] = await platform.webhooks.list(globex)
    delivery = await a_delivery(platform, globex, theirs.id)
    mine = await register(platform, caller)
    with pytest.raises(NotFound):
        await platform.webhooks.redeliver(caller, mine.id, delivery.id)
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.FAILED
    assert platform.job_queue.jobs == []
