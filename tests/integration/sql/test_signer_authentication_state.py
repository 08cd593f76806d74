"""A recipient's authentication state and an embedded link survive the round trip on every backend."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.sql.helpers import ACME, T0, Backend, draft, fetch, stored
from undersign.domain.policy import SignerAuth
from undersign.domain.signer import Role
from undersign.domain.signer_authentication import CodeCheck
from undersign.domain.signing_link import SigningLink


async def test_a_recipients_authentication_round_trips(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.add_signer(
        signer_id="s-ada", name="Ada", email="ada@example.com", role=Role.SIGNER, routing_order=None, now=T0,
        actor="api_key:k1", auth_method=SignerAuth.SMS_OTP, phone="+44 20 7946 0123",
    )
    ada = envelope.signers[0]
    ada.auth.code_issued("c" * 64, T0 + timedelta(microseconds=7))
    for _ in range(5):  # five wrong answers lock
        assert ada.auth.answered(correct=False, now=T0 + timedelta(seconds=1), single_use=True) is not CodeCheck.PASSED
    await stored(backend, envelope)

    loaded = await fetch(backend)
    assert loaded is not None
    assert loaded.signers[0].auth == ada.auth
    assert loaded.signers[0].auth.phone == "+442079460123" and loaded.signers[0].auth.locked


async def test_a_recipient_with_nothing_chosen_follows_the_policy(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.add_signer(signer_id="s-bob", name="Bob", email="bob@example.com", role=Role.SIGNER, routing_order=None,
                        now=T0, actor="api_key:k1")
    await stored(backend, envelope)
    loaded = await fetch(backend)
    assert loaded is not None
    assert loaded.signers[0].auth.method is None and loaded.signers[0].auth.failed_attempts == 0


async def test_an_embedded_link_keeps_how_the_sender_authenticated_the_recipient(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    link = SigningLink(id="link-e", tenant_id=ACME, envelope_id="env-1", signer_id="s-1", token_hash="e" * 64,
                       created_at=T0, expires_at=T0 + timedelta(days=7), embedded_by="Acme portal SSO — ✓")
    async with backend.uow() as uow:
        await uow.signing_links.add(link)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.signing_links.by_token_hash("e" * 64) == link


async def test_an_embedded_signatures_evidence_keeps_how_the_sender_authenticated_the_recipient(
    backend: Backend, tenants: None
) -> None:
    from dataclasses import replace

    from undersign.domain.policy import default_policy
    from undersign.domain.signer import SigningEvidence

    envelope = draft()
    envelope.add_document(document_id="doc-1", filename="lease.pdf", now=T0, actor="api_key:k1")
    envelope.add_signer(signer_id="s-ada", name="Ada", email="ada@example.com", role=Role.SIGNER, routing_order=None,
                        now=T0, actor="api_key:k1")
    envelope.send(policy=replace(default_policy(policy_id=f"policy-{ACME}", tenant_id=ACME), embedded_signing=True),
                  now=T0, actor="api_key:k1")
    how = "embedded: " + "Acme portal single sign-on, second factor at the portal. " * 3 + "x" * 29
    assert len(how) == 210  # the longest: "embedded: " and 200 characters of the sender's words
    evidence = SigningEvidence(at=T0, ip=None, user_agent=None, auth_method=how, signature_text="Ada", consent_text="ok")
    envelope.sign(signer_id="s-ada", field_values={}, evidence=evidence, actor="signer:s-ada")
    await stored(backend, envelope)
    loaded = await fetch(backend)
    assert loaded is not None and loaded.signers[0].evidence.auth_method == how
    assert loaded.policy.embedded_signing
