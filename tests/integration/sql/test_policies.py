"""Tenants' policies, the same on every backend: versions, the latest of each, the default, tenants apart."""

from __future__ import annotations

from tests.integration.sql.helpers import ACME, GLOBEX, Backend, draft, fetch, stored
from undersign.adapters.sql.tables.policies import policy_from_json, policy_to_json
from undersign.domain.policy import Policy, Routing, SignatureLevel, SignerAuth, default_policy


async def test_the_policy_added_last_is_the_tenants_default(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        assert await uow.policies.default_for(ACME) == default_policy(policy_id=f"policy-{ACME}", tenant_id=ACME)
        assert await uow.policies.default_for("tenant-unknown") is None

    stricter = Policy(id="policy-2", tenant_id=ACME, name="Stricter", version=2,
                      signature_level=SignatureLevel.PADES_B_LT, signer_auth=SignerAuth.ACCESS_CODE,
                      routing_default=Routing.PARALLEL, expiry_days=7, reminder_days=1, retention_days=365,
                      decline_allowed=False, consent_text="Custom consent")
    async with backend.uow() as uow:
        await uow.policies.add(stricter)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.policies.default_for(ACME) == stricter
        assert (await uow.policies.default_for(GLOBEX)).id == f"policy-{GLOBEX}"


def test_snapshots_taken_before_policies_had_languages_still_load() -> None:
    stored = policy_to_json(default_policy(policy_id="p", tenant_id="t"))
    assert stored["languages"] == ["en"]
    del stored["languages"]
    assert policy_from_json(stored).languages == ("en",)
    arabic_first = Policy(id="p1", tenant_id="t1", name="Strict", languages=("ar", "en"))
    assert policy_from_json(policy_to_json(arabic_first)) == arabic_first


async def test_versions_the_latest_of_each_and_the_default_that_follows_its_policy(backend: Backend, tenants: None) -> None:
    default_id = f"policy-{ACME}"
    strict = Policy(id="policy-strict", tenant_id=ACME, name="Strict", languages=("ar", "en"), reminder_days=3)
    async with backend.uow() as uow:
        await uow.policies.add(strict, default=False)
        await uow.policies.add(Policy(id="policy-a", tenant_id=ACME, name="A"), default=False)
        await uow.commit()
    async with backend.uow() as uow:
        await uow.policies.add_version(strict.revised(expiry_days=9))
        await uow.policies.add_version(strict.revised(expiry_days=9).revised(name="Stricter"))
        await uow.commit()

    async with backend.uow() as uow:
        latest = await uow.policies.get(ACME, "policy-strict")
        assert (latest.version, latest.name, latest.expiry_days, latest.languages) == (3, "Stricter", 9, ("ar", "en"))
        assert await uow.policies.get(GLOBEX, "policy-strict") is None  # another tenant's is not found
        assert await uow.policies.get(ACME, "no-such") is None
        assert [(p.id, p.version) for p in await uow.policies.list(ACME, limit=10)] == [
            ("policy-a", 1), ("policy-strict", 3), (default_id, 1),
        ]
        assert [p.id for p in await uow.policies.list(ACME, limit=1, after="policy-a")] == ["policy-strict"]
        assert [p.id for p in await uow.policies.list(GLOBEX, limit=10)] == [f"policy-{GLOBEX}"]
        assert (await uow.policies.default_for(ACME)).id == default_id

        await uow.policies.set_default(ACME, "policy-strict")
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.policies.default_for(ACME) == latest
        await uow.policies.add_version(latest.revised(expiry_days=12))  # the default follows the new version
        await uow.commit()
    async with backend.uow() as uow:
        assert (await uow.policies.default_for(ACME)).version == 4
        assert (await uow.policies.default_for(GLOBEX)).id == f"policy-{GLOBEX}"
        await uow.policies.add_version((await uow.policies.get(ACME, "policy-a")).revised(name="A2"))
        await uow.commit()
    async with backend.uow() as uow:
        assert (await uow.policies.default_for(ACME)).id == "policy-strict"  # another policy's version takes nothing


async def test_an_envelope_keeps_the_policy_its_draft_names(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.policy_id = f"policy-{ACME}"
    await stored(backend, envelope)
    assert (await fetch(backend, envelope.id)).policy_id == f"policy-{ACME}"
