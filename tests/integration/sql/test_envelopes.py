"""Envelopes with their signers and fields: round trips, tenants apart, write conflicts; signing links."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.fakes.pdf import A4
from tests.integration.sql.helpers import (
    ACME,
    GLOBEX,
    SQL_BACKENDS,
    T0,
    Backend,
    datetimes_in,
    draft,
    fetch,
    listed,
    random_ids,
    statements_sent,
    stored,
    uploaded,
    with_recipients,
)
from undersign.application.envelopes.ports import EnvelopeFilter
from undersign.domain.audit import verify_chain
from undersign.domain.completion_certificate import StoredCertificate
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Policy, Routing, SignatureLevel, SignerAuth
from undersign.domain.signer import Role, SigningEvidence
from undersign.domain.signing_link import LinkChannel, SigningLink

# -- envelopes ------------------------------------------------------------------------------


async def test_a_full_envelope_round_trips(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())

    async with backend.uow() as uow:  # edited as a draft: new signers and fields are inserted
        envelope = await uow.envelopes.get(ACME, "env-1")
        assert envelope is not None
        envelope.add_document(document_id="doc-1", filename="lease.pdf", now=T0, actor="api_key:k1")
        for signer_id, name, role in (("s-ada", "Ada Lovelace", Role.SIGNER), ("s-bob", "Bob Ø", Role.APPROVER),
                                      ("s-cc", "Carol", Role.CC)):
            envelope.add_signer(signer_id=signer_id, name=name, email=f"{signer_id}@example.com", role=role,
                                routing_order=None, now=T0, actor="api_key:k1")
        for field_id, kind, x in (("f-sig", FieldKind.SIGNATURE, 50.25), ("f-text", FieldKind.TEXT, 300),
                                  ("f-box", FieldKind.CHECKBOX, 10.5)):
            envelope.place_field(field_id=field_id, document_id="doc-1", signer_id="s-ada", kind=kind,
                                 placement=Placement(page=2, x=x, y=700.125, width=40, height=20),
                                 required=kind is not FieldKind.TEXT, pages=[A4, A4], now=T0, actor="api_key:k1")
        await uow.envelopes.save(envelope)
        await uow.commit()

    policy = Policy(id="policy-strict", tenant_id=ACME, name="Strict", version=3,
                    signature_level=SignatureLevel.PADES_B_LTA, signer_auth=SignerAuth.EMAIL_OTP,
                    routing_default=Routing.PARALLEL, expiry_days=14, reminder_days=2, retention_days=4000,
                    decline_allowed=False, consent_text="J'accepte — 同意します")
    sent_at, signed_at = T0 + timedelta(minutes=5, microseconds=1), T0 + timedelta(hours=2, microseconds=999_999)
    async with backend.uow() as uow:  # sent and signed: existing signer and field rows are updated
        envelope = await uow.envelopes.get(ACME, "env-1")
        assert envelope is not None
        envelope.send(policy=policy, now=sent_at, actor="api_key:k1")
        values = envelope.resolve_field_values(signer_id="s-ada", values={"f-text": "ACME Ltd", "f-box": True},
                                               signature_text="Ada Lovelace", now=signed_at)
        evidence = SigningEvidence(at=signed_at, ip="2001:db8::1", user_agent="Mozilla/5.0 (X11) ✓",
                                   auth_method="link", signature_text="Ada Lovelace",
                                   consent_text=policy.consent_text, certificate_serials=("1f", "20"))
        envelope.sign(signer_id="s-ada", field_values=values, evidence=evidence, actor="signer:s-ada")
        reminded_at = signed_at + timedelta(days=2, microseconds=5)
        envelope.signer("s-bob").remind(reminded_at)
        await uow.envelopes.save(envelope)
        await uow.commit()

    loaded = await fetch(backend)
    assert loaded == envelope
    assert loaded.version == 2
    assert loaded.policy == policy
    assert [s.id for s in loaded.signers] == ["s-ada", "s-bob", "s-cc"]
    assert loaded.signer("s-ada").evidence == evidence
    assert {f.id: f.value for f in loaded.fields} == {"f-sig": "Ada Lovelace", "f-text": "ACME Ltd", "f-box": "true"}
    moments = datetimes_in(loaded)
    assert len(moments) == 9  # created, updated, sent, expires, acted, evidence, notified twice, reminded
    assert all(moment.utcoffset() == timedelta(0) for moment in moments)
    assert loaded.sent_at == sent_at and loaded.signer("s-ada").acted_at == signed_at
    assert [(s.notified_at, s.reminded_at) for s in loaded.signers] == [
        (sent_at, None), (signed_at, reminded_at), (None, None)
    ]


async def test_the_certificate_of_completion_record_round_trips(backend: Backend, tenants: None) -> None:
    completed = draft()
    completed.status = EnvelopeStatus.COMPLETED  # as the last signature leaves it
    await stored(backend, completed)
    certificate = StoredCertificate(
        blob_key=f"{ACME}/envelopes/env-1/certificate-of-completion-c1.pdf", sha256="ab" * 32, size=5_000_000_000,
        made_at=T0 + timedelta(hours=3, microseconds=7),
    )

    assert (await fetch(backend)).completion_certificate is None
    async with backend.uow() as uow:
        envelope = await uow.envelopes.get(ACME, "env-1")
        envelope.record_completion_certificate(certificate, actor="system")
        await uow.envelopes.save(envelope)
        await uow.commit()

    loaded = await fetch(backend)
    assert loaded == envelope and loaded.completion_certificate == certificate
    async with backend.uow() as uow:
        last = (await uow.audit.entries(ACME, "env-1"))[-1]
    assert last.type == "CompletionCertificateMade" and last.data["sha256"] == certificate.sha256


async def test_adding_and_saving_in_one_unit_of_work(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        envelope = draft()
        await uow.envelopes.add(envelope)
        envelope.add_signer(signer_id="s-1", name="Ada", email="ada@example.com", role=Role.SIGNER,
                            routing_order=None, now=T0, actor="api_key:k1")
        await uow.envelopes.save(envelope)
        await uow.commit()

    assert await fetch(backend) == envelope
    assert envelope.version == 1


async def test_another_tenants_envelope_is_not_there(backend: Backend, tenants: None) -> None:
    await stored(backend, draft(), documents=(uploaded(),))

    assert await fetch(backend, tenant_id=GLOBEX) is None
    async with backend.uow() as uow:
        assert await uow.documents.get(GLOBEX, "doc-1") is None
        assert await uow.documents.for_envelope(GLOBEX, "env-1") == []
        assert await uow.envelopes.list(GLOBEX, where=EnvelopeFilter(), limit=10, after=None) == []
        assert await uow.audit.entries(GLOBEX, "env-1") == []
        assert await uow.audit.entries(ACME, "env-1") != []
        assert await uow.envelopes.tenant_of("env-1") == ACME
        assert await uow.envelopes.tenant_of("env-unknown") is None


async def test_a_stale_save_is_a_conflict(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as slow:
            stale = await slow.envelopes.get(ACME, "env-1")
            async with backend.uow() as fast:
                fresh = await fast.envelopes.get(ACME, "env-1")
                fresh.add_document(document_id="doc-fast", filename="a.pdf", now=T0, actor="api_key:k1")
                await fast.envelopes.save(fresh)
                await fast.commit()
            stale.add_document(document_id="doc-slow", filename="b.pdf", now=T0, actor="api_key:k1")
            await slow.envelopes.save(stale)
            await slow.commit()

    assert (await fetch(backend)).document_ids == ["doc-fast"]


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_a_held_envelope_keeps_a_second_holder_waiting_until_the_first_commits(backend: Backend, tenants: None) -> None:
    """PostgreSQL and MariaDB lock the row; SQLite, with one writer at a time, is sent nothing to hold."""
    await stored(backend, draft())
    order: list[str] = []

    async def second_holder() -> None:
        async with backend.uow() as uow:
            await uow.envelopes.hold(ACME, "env-1")
            order.append("second holds")

    with statements_sent(backend) as sent:
        async with backend.uow() as first:
            await first.envelopes.hold(ACME, "env-1")
            holds_sent = len(sent)
            second = asyncio.create_task(second_holder())
            await asyncio.sleep(0.3)
            order.append("first commits")
            await first.commit()
        await asyncio.wait_for(second, timeout=30)

    if backend.name == "sqlite":
        assert holds_sent == 0
    else:
        assert holds_sent == 1 and "FOR UPDATE" in sent[0]
        assert order == ["first commits", "second holds"]


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_the_holder_reads_the_held_envelope_with_the_lock_on_postgresql(backend: Backend, tenants: None) -> None:
    """On PostgreSQL the lock is taken by reading the envelope (FOR UPDATE OF its row alone), and the
    holder's first read is that one; a later read goes to the database again."""
    await stored(backend, draft())
    with statements_sent(backend) as sent:
        async with backend.uow() as uow:
            await uow.envelopes.hold(ACME, "env-1")
            held = await uow.envelopes.get(ACME, "env-1")
            statements_to_read_held = len(sent)
            assert await uow.envelopes.get(GLOBEX, "env-1") is None  # another tenant's read is its own
            again = await uow.envelopes.get(ACME, "env-1")
            assert held is not None and again is not None and again is not held
            held.add_document(document_id="doc-late", filename="annex.pdf", now=T0, actor="api_key:k1")
            await uow.envelopes.save(held)  # saved from the read the lock was taken with
            await uow.commit()

    assert statements_to_read_held == {"sqlite": 1, "postgresql": 1, "mariadb": 2}[backend.name]
    if backend.name == "postgresql":
        assert "FOR UPDATE OF envelopes" in sent[0]
    assert (await fetch(backend)).document_ids == ["doc-late"]


async def test_of_two_writers_racing_from_the_same_version_exactly_one_wins(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    both_read = asyncio.Barrier(2)

    async def add_signer(signer_id: str) -> str:
        try:
            async with backend.uow() as uow:
                envelope = await uow.envelopes.get(ACME, "env-1")
                await both_read.wait()
                envelope.add_signer(signer_id=signer_id, name=signer_id, email=f"{signer_id}@example.com",
                                    role=Role.SIGNER, routing_order=None, now=T0, actor="api_key:k1")
                await uow.envelopes.save(envelope)
                await uow.commit()
            return signer_id
        except ConcurrencyConflict:
            return "lost"

    results = await asyncio.wait_for(asyncio.gather(add_signer("s-a"), add_signer("s-b")), timeout=30)

    assert sorted(results) in (["lost", "s-a"], ["lost", "s-b"])
    winner = next(r for r in results if r != "lost")
    envelope = await fetch(backend)
    assert [s.id for s in envelope.signers] == [winner]
    assert envelope.version == 1
    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1")
    assert [e.type for e in entries] == ["EnvelopeCreated", "SignerAdded"] and verify_chain(entries)


async def test_a_unit_of_work_that_does_not_commit_leaves_nothing(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.blobs.put("acme/doc-1/0001.pdf", b"%PDF-1.7")
        await uow.envelopes.add(draft())
        await uow.documents.add(uploaded())

    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.blobs.put("acme/doc-2/0001.pdf", b"%PDF-1.7")
            await uow.envelopes.add(draft("env-2"))
            raise RuntimeError("the PDF signer fell over")

    assert backend.blobs.blobs == {}
    assert await fetch(backend) is None and await fetch(backend, "env-2") is None
    async with backend.uow() as uow:
        assert await uow.documents.get(ACME, "doc-1") is None
        assert await uow.audit.entries(ACME, "env-1") == []


async def test_reading_holds_no_lock_that_blocks_a_writer(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())

    async with backend.uow() as reader:
        before = await reader.envelopes.get(ACME, "env-1")

        async def write() -> None:
            async with backend.uow() as writer:
                envelope = await writer.envelopes.get(ACME, "env-1")
                envelope.add_document(document_id="doc-1", filename="a.pdf", now=T0, actor="api_key:k1")
                await writer.envelopes.save(envelope)
                # And a writer in the middle of its transaction does not block readers either.
                async with backend.uow() as another_reader:
                    assert (await another_reader.envelopes.get(ACME, "env-1")).version == 0
                await writer.commit()

        await asyncio.wait_for(write(), timeout=5)
        assert before.version == 0
        assert (await reader.envelopes.get(ACME, "env-1")).version == 1

# -- envelopes waiting for their recipients -------------------------------------------------------


async def test_waiting_envelopes_are_every_tenants_sent_ones_by_id(backend: Backend, tenants: None) -> None:
    statuses = [EnvelopeStatus.SENT, EnvelopeStatus.DRAFT, EnvelopeStatus.COMPLETED, EnvelopeStatus.SENT,
                EnvelopeStatus.VOIDED, EnvelopeStatus.EXPIRED, EnvelopeStatus.DECLINED]
    envelopes = [
        with_recipients(listed(envelope_id, T0 + timedelta(minutes=i), statuses[i % len(statuses)],
                                tenant_id=ACME if i % 2 else GLOBEX), ("ada@example.com", Role.SIGNER))
        for i, envelope_id in enumerate(random_ids(20))
    ]
    await stored(backend, *envelopes)
    sent = sorted((e for e in envelopes if e.status is EnvelopeStatus.SENT), key=lambda e: e.id)
    assert len(sent) == 6 and {e.tenant_id for e in sent} == {ACME, GLOBEX}

    pages, after = [], None
    while True:
        async with backend.uow() as uow:
            page = await uow.envelopes.waiting(after=after, limit=4)
        if not page:
            break
        pages.append(page)
        after = page[-1].id

    assert [len(p) for p in pages] == [4, 2]
    assert [e for page in pages for e in page] == sent  # whole envelopes, recipients included

# -- signing links -------------------------------------------------------------------------------


async def test_a_signing_link_is_found_by_its_token_hash(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    link = SigningLink(id="link-1", tenant_id=ACME, envelope_id="env-1", signer_id="s-1", token_hash="f" * 64,
                       created_at=T0, expires_at=T0 + timedelta(days=7))
    async with backend.uow() as uow:
        await uow.signing_links.add(link)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.signing_links.by_token_hash("f" * 64) == link
        assert await uow.signing_links.by_token_hash("0" * 64) is None


async def test_revoking_reaches_the_recipients_links_of_the_channels_named_only(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    links = [
        SigningLink(id=f"link-{n}", tenant_id=ACME, envelope_id="env-1", signer_id=signer, token_hash=str(n) * 64,
                    created_at=T0, expires_at=T0 + timedelta(days=7), channel=channel)
        for n, (signer, channel) in enumerate(
            (("s-1", LinkChannel.EMAIL), ("s-1", LinkChannel.EMAIL), ("s-1", LinkChannel.API), ("s-2", LinkChannel.EMAIL))
        )
    ]
    async with backend.uow() as uow:
        for link in links:
            await uow.signing_links.add(link)
        await uow.commit()

    async with backend.uow() as uow:
        await uow.signing_links.revoke(ACME, "env-1", "s-1", channels=frozenset({LinkChannel.EMAIL}), at=T0 + timedelta(hours=1))
        await uow.commit()

    async with backend.uow() as uow:
        found = [await uow.signing_links.by_token_hash(str(n) * 64) for n in range(4)]
    assert [link.revoked_at for link in found] == [T0 + timedelta(hours=1)] * 2 + [None, None]  # type: ignore[union-attr]
    assert [link.channel for link in found] == [link.channel for link in links]  # type: ignore[union-attr]
