"""The use cases, end to end on fakes: what gets stored, signed, sealed and audited."""

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.unit.flows import envelope_with, link, sign
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.ports import EnvelopeFilter
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.void import VoidEnvelope
from undersign.application.shared.errors import (
    EnvelopeClosed,
    Forbidden,
    InvalidDocument,
    LinkExpired,
    PreconditionFailed,
    TimestampUnavailable,
    Unauthenticated,
)
from undersign.application.signing.decline import Decline
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.errors import InvalidInput, InvalidState, NotFound
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing, SignatureLevel
from undersign.domain.signer import Role
from undersign.domain.tenant import AccessRole


async def test_the_whole_lifecycle_signs_in_order_seals_once_and_audits_everything(platform, caller):
    envelope_id, document_id, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada), signature_text="Ada L."))
    envelope = await platform.sign(sign(await link(platform, caller, envelope_id, bob)))

    assert envelope.status is EnvelopeStatus.COMPLETED
    assert platform.pdf_signer.calls == ["prepare", "sign Ada", "sign Bob"]  # the last signature does not wait for the seal
    await platform.run_background()
    # The document's seal, then the certificate of completion's, made once the envelope is sealed.
    assert platform.pdf_signer.calls == ["prepare", "sign Ada", "sign Bob", "seal", "seal"]
    document, content = await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    assert [r.kind for r in document.revisions] == [
        RevisionKind.ORIGINAL, RevisionKind.PREPARED, RevisionKind.SIGNED, RevisionKind.SIGNED, RevisionKind.SEALED,
    ]
    assert content.endswith(b"%sealed")
    assert b"signature=Ada L." in content
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert trail.chain_valid
    types = [e.type for e in trail.entries]
    assert types.count("SignerSigned") == 2
    assert types[-4:] == ["EnvelopeCompleted", "DocumentSealed", "EnvelopeSealed", "CompletionCertificateMade"]


async def test_new_tenants_sign_and_seal_at_b_lta(platform, caller):
    envelope_id, _, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    await platform.sign(sign(await link(platform, caller, envelope_id, bob)))
    await platform.run_background()

    assert platform.pdf_signer.levels == [SignatureLevel.PADES_B_LTA] * 4  # two signatures, the seal, the certificate


async def test_the_policy_snapshot_taken_at_send_decides_every_signatures_level(platform, caller):
    tenant_id = caller.tenant_id
    platform.db.policies[tenant_id] = replace(platform.db.policies[tenant_id], signature_level=SignatureLevel.PADES_B_T)
    envelope_id, _, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    # A later edit of the tenant's policy does not reach an envelope already sent.
    platform.db.policies[tenant_id] = replace(platform.db.policies[tenant_id], signature_level=SignatureLevel.PADES_B_B)
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    await platform.sign(sign(await link(platform, caller, envelope_id, bob)))
    await platform.run_background()

    assert platform.pdf_signer.levels == [SignatureLevel.PADES_B_T] * 4  # two signatures, the seal, the certificate


async def test_without_a_time_stamp_nothing_is_signed_or_stored(platform, caller):
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    token = await link(platform, caller, envelope_id, ada)
    blobs, audit = dict(platform.blob_store.blobs), list(platform.db.audit[envelope_id])
    platform.pdf_signer.failure = TimestampUnavailable("no time-stamping authority answered")

    with pytest.raises(TimestampUnavailable):
        await platform.sign(sign(token))

    envelope, _ = await platform.envelope_queries.get(caller, envelope_id)
    assert envelope.status is EnvelopeStatus.SENT and envelope.signer(ada).evidence is None
    assert platform.blob_store.blobs == blobs and platform.db.audit[envelope_id] == audit
    document, _ = await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    assert RevisionKind.SIGNED not in [r.kind for r in document.revisions]
    platform.pdf_signer.failure = None
    assert (await platform.sign(sign(token))).status is EnvelopeStatus.COMPLETED


async def test_a_bad_upload_leaves_nothing_behind(platform, caller):
    envelope = await platform.create_envelope(CreateEnvelope(caller=caller, subject="Lease"))
    for content in (b"", b"GIF89a"):
        with pytest.raises(InvalidDocument):
            await platform.add_document(
                AddDocument(caller=caller, envelope_id=envelope.id, filename="x.pdf", content=content)
            )
    assert platform.blob_store.blobs == {}
    assert platform.db.documents == {}
    assert (await platform.envelope_queries.get(caller, envelope.id))[0].document_ids == []


async def test_a_failed_commit_deletes_the_blobs_it_wrote_and_the_upload_is_tried_again(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    stored = dict(platform.blob_store.blobs)

    put, attempts = platform.blob_store.put, []

    async def racing_put(key: str, data: bytes) -> None:
        attempts.append(key)
        if len(attempts) == 1:
            platform.db.envelopes[envelope_id].version += 1  # another writer commits while the first blob is written
        await put(key, data)

    platform.blob_store.put = racing_put  # type: ignore[method-assign]
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope_id, filename="b.pdf", content=b"%PDF-1.7")
    )
    first, second = attempts
    assert first not in platform.blob_store.blobs  # the lost attempt's blob is gone
    assert platform.blob_store.blobs == {**stored, second: b"%PDF-1.7"} and document.current.blob_key == second


async def test_another_tenants_envelope_is_not_found(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    await platform.tenants.create("other")
    other = await platform.tenants.authenticate((await platform.tenants.create_api_key("other", AccessRole.ADMIN)).key)
    with pytest.raises(NotFound):
        await platform.envelope_queries.get(other, envelope_id)
    with pytest.raises(NotFound):
        await platform.send_envelope(SendEnvelope(caller=other, envelope_id=envelope_id))


async def test_a_viewer_key_cannot_write(platform, caller):
    viewer = await platform.tenants.authenticate((await platform.tenants.create_api_key("acme", AccessRole.VIEWER)).key)
    with pytest.raises(Forbidden):
        await platform.create_envelope(CreateEnvelope(caller=viewer, subject="x"))


@pytest.mark.parametrize("key", ["", "usk_", "nope", "usk_unknown_secret"])
async def test_bad_api_keys_are_refused(platform, caller, key):
    with pytest.raises(Unauthenticated):
        await platform.tenants.authenticate(key)


async def test_a_wrong_secret_is_refused(platform, caller):
    issued = await platform.tenants.create_api_key("acme", AccessRole.ADMIN)
    with pytest.raises(Unauthenticated):
        await platform.tenants.authenticate(issued.key[:-1] + "x")


async def test_signing_needs_consent(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    with pytest.raises(InvalidInput, match="consent"):
        await platform.sign(sign(await link(platform, caller, envelope_id, ada), consent=False))


async def test_an_expired_link_is_refused(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    token = await link(platform, caller, envelope_id, ada)
    platform.clock.advance(timedelta(days=8))
    with pytest.raises(LinkExpired):
        await platform.signing_sessions.open(token)


async def test_opening_a_link_records_one_view(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    token = await link(platform, caller, envelope_id, ada)
    session = await platform.signing_sessions.open(token)
    await platform.signing_sessions.open(token)
    assert session.can_act
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert [e.type for e in trail.entries].count("SignerViewed") == 1


async def test_declining_stops_the_envelope(platform, caller):
    envelope_id, _, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob", routing=Routing.PARALLEL)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    bobs_token = await link(platform, caller, envelope_id, bob)
    session = await platform.decline(Decline(token=await link(platform, caller, envelope_id, ada), reason="wrong rent"))
    assert session.envelope.status is EnvelopeStatus.DECLINED and session.documents == []
    with pytest.raises(EnvelopeClosed, match="declined"):
        await platform.sign(sign(bobs_token))
    with pytest.raises(InvalidState):
        await link(platform, caller, envelope_id, bob)


async def test_a_voided_envelope_cannot_be_signed(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    token = await link(platform, caller, envelope_id, ada)
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="sent by mistake"))
    with pytest.raises(EnvelopeClosed, match="voided"):
        await platform.sign(sign(token))
    with pytest.raises(EnvelopeClosed, match="voided"):
        await platform.signing_sessions.open(token)


async def test_parallel_signers_signing_at_once_all_land_once_and_complete_once(platform, caller):
    names = [f"Signer{n}" for n in range(8)]
    envelope_id, document_id, signer_ids = await envelope_with(platform, caller, *names, routing=Routing.PARALLEL)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    tokens = [await link(platform, caller, envelope_id, s) for s in signer_ids]
    await asyncio.gather(*(platform.sign(sign(t)) for t in tokens))
    await platform.run_background()

    envelope, _ = await platform.envelope_queries.get(caller, envelope_id)
    assert envelope.status is EnvelopeStatus.COMPLETED
    _, content = await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    assert sorted(line for line in content.split(b"\n") if line.startswith(b"%signed")) == sorted(
        f"%signed by {n} [signature=Typed Name]".encode() for n in names
    )
    assert content.count(b"%sealed") == 1
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert trail.chain_valid
    assert [e.type for e in trail.entries].count("EnvelopeCompleted") == 1


async def test_operators_verify_a_chain_without_knowing_the_tenant(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    assert (await platform.envelope_queries.verify_audit_trail(envelope_id)).chain_valid
    with pytest.raises(NotFound):
        await platform.envelope_queries.verify_audit_trail("missing")


async def test_pages_of_envelopes_cover_each_once(platform, caller):
    created = []
    for n in range(5):
        created.append((await platform.create_envelope(CreateEnvelope(caller=caller, subject=f"E{n}"))).id)
    seen, cursor = [], None
    while True:
        page = await platform.envelope_queries.list(caller, limit=2, after=cursor)
        seen += [e.id for e in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(created) and len(seen) == 5


async def test_a_cc_recipient_cannot_sign(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    cc = await platform.add_signer(AddSigner(caller=caller, envelope_id=envelope_id, name="Carl", email="c@example.com", role=Role.CC))
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    with pytest.raises(InvalidState, match="carbon-copy"):
        await platform.sign(sign(await link(platform, caller, envelope_id, cc.id)))


# -- If-Match: the version the caller expects ----------------------------------------------------


async def test_a_change_expecting_another_version_is_refused_and_changes_nothing(platform, caller):
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada", fields=False)
    envelope, _ = await platform.envelope_queries.get(caller, envelope_id)
    stale = envelope.version - 1
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)

    placement = Placement(page=1, x=50, y=700, width=150, height=40)
    for command, handler in (
        (AddDocument(caller=caller, envelope_id=envelope_id, filename="b.pdf", content=b"%PDF-1.7", expected_version=stale), platform.add_document),
        (AddSigner(caller=caller, envelope_id=envelope_id, name="Bob", email="bob@example.com", expected_version=stale), platform.add_signer),
        (PlaceField(caller=caller, envelope_id=envelope_id, document_id=document_id, signer_id=ada, kind=FieldKind.SIGNATURE,
                    placement=placement, expected_version=stale), platform.place_field),
        (SendEnvelope(caller=caller, envelope_id=envelope_id, expected_version=stale), platform.send_envelope),
    ):
        with pytest.raises(PreconditionFailed):
            await handler(command)

    after, documents = await platform.envelope_queries.get(caller, envelope_id)
    assert after == envelope and len(documents) == 1 and len(platform.blob_store.blobs) == 1
    assert (await platform.envelope_queries.audit_trail(caller, envelope_id)).entries == trail.entries


async def test_a_change_expecting_the_current_version_goes_through(platform, caller):
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada")
    envelope, _ = await platform.envelope_queries.get(caller, envelope_id)

    sent = await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id, expected_version=envelope.version))
    with pytest.raises(PreconditionFailed):
        await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="x", expected_version=envelope.version))
    voided = await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="x", expected_version=sent.version))

    assert voided.status is EnvelopeStatus.VOIDED and voided.version == sent.version + 1


# -- listing with filters ---------------------------------------------------------------------


async def test_listing_by_recipient_ignores_the_emails_case(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    await envelope_with(platform, caller, "Bob")

    page = await platform.envelope_queries.list(caller, where=EnvelopeFilter(signer_email="  ADA@Example.com "), limit=10, after=None)

    assert [e.id for e in page.items] == [envelope_id]


async def test_listing_by_creation_time_needs_an_offset(platform, caller):
    with pytest.raises(InvalidInput, match="created_before needs a UTC offset"):
        await platform.envelope_queries.list(caller, where=EnvelopeFilter(created_before=datetime(2026, 1, 5, 9)), limit=10, after=None)


async def test_a_documents_name_is_made_safe_once_for_the_document_and_its_audit_entry(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope_id, filename="invoice\u202efdp.exe\x1b[31m\r\n.pdf", content=b"%PDF-1.7")
    )

    [added] = [e for e in (await platform.envelope_queries.audit_trail(caller, envelope_id)).entries
               if e.type == "DocumentAdded" and e.data["document_id"] == document.id]  # fmt: skip
    assert added.data["filename"] == document.filename == "invoice_fdp.exe_[31m__.pdf"
