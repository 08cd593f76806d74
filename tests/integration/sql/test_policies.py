"""Tenants' policies: the one added last is the default."""

from __future__ import annotations

from tests.integration.sql.helpers import ACME, GLOBEX, Backend
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
