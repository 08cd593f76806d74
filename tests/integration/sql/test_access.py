"""Tenants, API keys, and the idempotency keys API keys claim."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.fakes.access import FakeIdempotencyKeys
from tests.integration.sql.helpers import ACME, GLOBEX, T0, Backend
from undersign.adapters.sql.engine import create_session_factory
from undersign.adapters.sql.idempotency_keys import SqlIdempotencyKeys
from undersign.application.access.ports import ApiKeyCursor, IdempotencyKeys, IdempotencyRecord, StoredResponse
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.tenant import AccessRole, ApiKey, Tenant

# -- tenants and API keys ----------------------------------------------------------------------


async def test_tenants_are_found_by_slug_and_slugs_are_unique(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        assert await uow.tenants.by_slug("acme") == Tenant(id=ACME, slug="acme", created_at=T0)
        assert await uow.tenants.by_slug("initech") is None

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.tenants.add(Tenant(id="tenant-other", slug="acme", created_at=T0))
            await uow.commit()


async def test_tenants_are_found_by_id_with_their_sender_name(backend: Backend, tenants: None) -> None:
    initech = Tenant(id="tenant-initech", slug="initech", created_at=T0, sender_name="Initech — Signatures « Paris »")
    async with backend.uow() as uow:
        await uow.tenants.add(initech)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.tenants.get("tenant-initech") == initech
        assert await uow.tenants.by_slug("initech") == initech
        assert await uow.tenants.get(ACME) == Tenant(id=ACME, slug="acme", created_at=T0)
        assert await uow.tenants.get("tenant-unknown") is None
        assert await uow.tenants.get("initech") is None  # a slug is not an id


async def test_a_saved_tenant_keeps_its_sign_in_policy_and_sender_name_and_the_others_do_not_change(
    backend: Backend, tenants: None
) -> None:
    acme = Tenant(id=ACME, slug="acme", created_at=T0)
    changed = replace(acme, sender_name="Acme « Legal »", just_in_time_users=True, require_mfa=True)
    async with backend.uow() as uow:
        await uow.tenants.save(changed)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.tenants.get(ACME) == changed
        assert await uow.tenants.by_slug("acme") == changed
        assert await uow.tenants.get(GLOBEX) == Tenant(id=GLOBEX, slug="globex", created_at=T0)

    relaxed = replace(changed, sender_name=None, just_in_time_users=False)
    async with backend.uow() as uow:
        await uow.tenants.save(relaxed)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.tenants.get(ACME) == relaxed


async def test_api_keys_are_found_by_id(backend: Backend, tenants: None) -> None:
    active = ApiKey(id="key-1", tenant_id=ACME, role=AccessRole.SENDER, secret_hash="9" * 64, created_at=T0)
    revoked = ApiKey(id="key-2", tenant_id=GLOBEX, role=AccessRole.VIEWER, secret_hash="8" * 64, created_at=T0,
                     revoked_at=T0 + timedelta(days=1, microseconds=3))
    async with backend.uow() as uow:
        await uow.api_keys.add(active)
        await uow.api_keys.add(revoked)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.api_keys.get("key-1") == active
        assert await uow.api_keys.get("key-2") == revoked
        assert await uow.api_keys.get("key-3") is None

# -- idempotency keys -----------------------------------------------------------------------


@pytest.fixture
def idempotency_keys(backend: Backend, tenants: None) -> IdempotencyKeys:
    """The port over the backend's database: not part of a unit of work, each call commits itself."""
    if backend.engine is None:
        return FakeIdempotencyKeys()
    return SqlIdempotencyKeys(create_session_factory(backend.engine))


def _record(
    key: str = "key-1", tenant_id: str = ACME, claim: str = "claim-1", at: datetime = T0, credential_id: str = "apikey-1"
) -> IdempotencyRecord:
    return IdempotencyRecord(
        tenant_id=tenant_id, credential_id=credential_id, key=key, fingerprint="f" * 64, claim=claim,
        created_at=at, expires_at=at + timedelta(hours=24),
    )


async def test_an_idempotency_record_round_trips_with_its_response(idempotency_keys: IdempotencyKeys) -> None:
    record = _record(key="Key/With~Symbols_" + "k" * 238)  # the longest key there is
    assert await idempotency_keys.add(record)
    assert await idempotency_keys.get(ACME, "apikey-1", record.key) == record

    body = b'{"id":"env-1","subject":"Lease \xe2\x80\x94 3rd floor"}' + bytes(range(256)) * 300  # beyond 64 KB
    done = replace(record, response=StoredResponse(status=201, headers={"content-type": "application/json", "etag": '"env-1-0"'}, body=body))
    assert await idempotency_keys.replace(done, held_by=record.claim)

    assert await idempotency_keys.get(ACME, "apikey-1", record.key) == done


async def test_a_tenant_holds_each_idempotency_key_once(idempotency_keys: IdempotencyKeys) -> None:
    assert await idempotency_keys.add(_record())
    assert not await idempotency_keys.add(_record(claim="claim-2"))
    assert (await idempotency_keys.get(ACME, "apikey-1", "key-1")).claim == "claim-1"  # type: ignore[union-attr]

    assert await idempotency_keys.add(_record(tenant_id=GLOBEX, claim="claim-3"))  # keys are per tenant
    assert await idempotency_keys.get(GLOBEX, "apikey-1", "key-1") == _record(tenant_id=GLOBEX, claim="claim-3")
    assert await idempotency_keys.get(ACME, "apikey-1", "KEY-1") is None  # and compared byte by byte

    # ... and per API key: another key of the tenant has a record of its own under the same name.
    assert await idempotency_keys.get(ACME, "apikey-2", "key-1") is None
    assert await idempotency_keys.add(_record(credential_id="apikey-2", claim="claim-4"))
    assert (await idempotency_keys.get(ACME, "apikey-2", "key-1")).claim == "claim-4"  # type: ignore[union-attr]
    assert (await idempotency_keys.get(ACME, "apikey-1", "key-1")).claim == "claim-1"  # type: ignore[union-attr]


async def test_only_the_holder_of_an_idempotency_claim_replaces_or_deletes_it(idempotency_keys: IdempotencyKeys) -> None:
    await idempotency_keys.add(_record())
    takeover = _record(claim="claim-2", at=T0 + timedelta(minutes=10))

    assert not await idempotency_keys.replace(takeover, held_by="claim-x")
    assert await idempotency_keys.replace(takeover, held_by="claim-1")
    assert not await idempotency_keys.replace(_record(claim="claim-3"), held_by="claim-1")  # lost: claim-2 has it
    await idempotency_keys.delete(ACME, "apikey-1", "key-1", held_by="claim-1")
    assert await idempotency_keys.get(ACME, "apikey-1", "key-1") == takeover

    await idempotency_keys.delete(ACME, "apikey-1", "key-1", held_by="claim-2")
    assert await idempotency_keys.get(ACME, "apikey-1", "key-1") is None


async def test_purging_removes_a_tenants_expired_idempotency_keys_only(idempotency_keys: IdempotencyKeys) -> None:
    for n, hours in enumerate((0, 1, 2)):
        await idempotency_keys.add(_record(key=f"key-{n}", at=T0 + timedelta(hours=hours)))
    await idempotency_keys.add(_record(tenant_id=GLOBEX))

    assert await idempotency_keys.purge(ACME, expired_at=T0 + timedelta(hours=25)) == 2  # expiring at 24 h and 25 h

    assert [await idempotency_keys.get(ACME, "apikey-1", f"key-{n}") is None for n in range(3)] == [True, True, False]
    assert await idempotency_keys.get(GLOBEX, "apikey-1", "key-1") is not None


async def test_concurrent_claims_of_one_idempotency_key_leave_exactly_one_winner(
    idempotency_keys: IdempotencyKeys,
) -> None:
    results = await asyncio.gather(*(idempotency_keys.add(_record(claim=f"claim-{n}")) for n in range(6)))

    assert sorted(results) == [False] * 5 + [True]
    winner = await idempotency_keys.get(ACME, "apikey-1", "key-1")
    assert winner is not None and winner.claim == f"claim-{results.index(True)}"


async def test_api_keys_keep_their_expiry_last_use_description_and_maker(backend: Backend, tenants: None) -> None:
    key = ApiKey(
        id="key-1", tenant_id=ACME, role=AccessRole.AUDITOR, secret_hash="9" * 64, created_at=T0,
        expires_at=T0 + timedelta(days=90, microseconds=1), last_used_at=T0 + timedelta(seconds=5),
        description="Quarterly audit — « Zoë » 王芳", created_by="api_key:key-0",
    )
    owner = ApiKey(id="key-2", tenant_id=ACME, role=AccessRole.OWNER, secret_hash="8" * 64, created_at=T0)
    async with backend.uow() as uow:
        await uow.api_keys.add(key)
        await uow.api_keys.add(owner)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.api_keys.get("key-1") == key
        assert await uow.api_keys.get("key-2") == owner


async def test_a_tenants_api_keys_are_listed_newest_first_page_by_page(backend: Backend, tenants: None) -> None:
    keys = [
        ApiKey(id=f"key-{n}", tenant_id=ACME, role=AccessRole.VIEWER, secret_hash="9" * 64,
               created_at=T0 + timedelta(seconds=n // 2))  # two by two at the same time: the id decides
        for n in range(5)
    ]
    async with backend.uow() as uow:
        for key in keys:
            await uow.api_keys.add(key)
        await uow.api_keys.add(ApiKey(id="key-g", tenant_id=GLOBEX, role=AccessRole.OWNER, secret_hash="8" * 64,
                                      created_at=T0 + timedelta(hours=1)))
        await uow.commit()

    newest_first = ["key-4", "key-3", "key-2", "key-1", "key-0"]
    async with backend.uow() as uow:
        assert [k.id for k in await uow.api_keys.for_tenant(ACME, limit=10)] == newest_first
        first = await uow.api_keys.for_tenant(ACME, limit=2)
        rest = await uow.api_keys.for_tenant(
            ACME, limit=10, after=ApiKeyCursor(created_at=first[-1].created_at, id=first[-1].id)
        )
        assert [k.id for k in first + rest] == newest_first
        assert [k.id for k in await uow.api_keys.for_tenant(GLOBEX, limit=10)] == ["key-g"]


async def test_a_revocation_is_recorded_once_and_the_first_time_stays(backend: Backend, tenants: None) -> None:
    key = ApiKey(id="key-1", tenant_id=ACME, role=AccessRole.SENDER, secret_hash="9" * 64, created_at=T0,
                 last_used_at=T0)
    async with backend.uow() as uow:
        await uow.api_keys.add(key)
        await uow.commit()

    first, later = T0 + timedelta(hours=1, microseconds=7), T0 + timedelta(hours=2)
    for at in (first, later):
        async with backend.uow() as uow:
            await uow.api_keys.record_revocation(key.revoked(at))
            await uow.commit()

    async with backend.uow() as uow:
        assert await uow.api_keys.get("key-1") == replace(key, revoked_at=first)


async def test_touching_a_key_moves_its_last_use_forward_only_and_changes_nothing_else(
    backend: Backend, tenants: None
) -> None:
    key = ApiKey(id="key-1", tenant_id=ACME, role=AccessRole.SENDER, secret_hash="9" * 64, created_at=T0)
    async with backend.uow() as uow:
        await uow.api_keys.add(key)
        await uow.commit()
    async with backend.uow() as uow:
        await uow.api_keys.record_revocation(key.revoked(T0 + timedelta(hours=1)))
        await uow.commit()

    for at in (T0 + timedelta(minutes=2), T0 + timedelta(minutes=1)):  # the later one first: it stays
        async with backend.uow() as uow:
            await uow.api_keys.touch("key-1", at)
            await uow.commit()

    async with backend.uow() as uow:
        stored = await uow.api_keys.get("key-1")
    assert stored == replace(key, revoked_at=T0 + timedelta(hours=1), last_used_at=T0 + timedelta(minutes=2))


async def test_api_keys_are_listed_by_time_before_id_and_pages_hold_their_limit(
    backend: Backend, tenants: None
) -> None:
    # Ids in the opposite order to the times: only the time puts key-a first.
    times = {"key-b": T0 + timedelta(seconds=1), "key-c": T0 + timedelta(seconds=1), "key-d": T0,
             "key-a": T0 + timedelta(seconds=2)}
    async with backend.uow() as uow:
        for key_id, created_at in times.items():
            await uow.api_keys.add(ApiKey(id=key_id, tenant_id=ACME, role=AccessRole.VIEWER, secret_hash="9" * 64,
                                          created_at=created_at))
        await uow.commit()

    async with backend.uow() as uow:
        assert [k.id for k in await uow.api_keys.for_tenant(ACME, limit=10)] == ["key-a", "key-c", "key-b", "key-d"]
        first = await uow.api_keys.for_tenant(ACME, limit=2)
        assert [k.id for k in first] == ["key-a", "key-c"]
        rest = await uow.api_keys.for_tenant(ACME, limit=10, after=ApiKeyCursor(created_at=times["key-c"], id="key-c"))
        assert [k.id for k in rest] == ["key-b", "key-d"]


async def test_replacing_or_deleting_one_idempotency_key_leaves_others_with_the_same_claim(
    idempotency_keys: IdempotencyKeys,
) -> None:
    others = [_record(tenant_id=GLOBEX), _record(credential_id="apikey-2"), _record(key="key-2")]
    for record in [_record(), *others]:
        assert await idempotency_keys.add(record)

    done = replace(_record(), response=StoredResponse(status=204, headers={}, body=b""))
    assert await idempotency_keys.replace(done, held_by="claim-1")
    assert await idempotency_keys.get(ACME, "apikey-1", "key-1") == done
    for record in others:
        assert await idempotency_keys.get(record.tenant_id, record.credential_id, record.key) == record

    await idempotency_keys.delete(ACME, "apikey-1", "key-1", held_by="claim-1")
    assert await idempotency_keys.get(ACME, "apikey-1", "key-1") is None
    for record in others:
        assert await idempotency_keys.get(record.tenant_id, record.credential_id, record.key) == record
