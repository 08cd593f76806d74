"""The use cases, end to end on fakes: what gets stored, signed, sealed and audited."""

import asyncio
import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.unit.flows import as_it_stands, envelope_with, link, sign
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.application.envelopes.queries import EnvelopeQueries
from undersign.application.envelopes.recipients import AddSigner, UnlockSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink
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
from undersign.application.shared.moments import in_utc
from undersign.application.signing.decline import Decline
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.errors import InvalidInput, InvalidState, NotFound
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing, SignatureLevel, SignerAuth
from undersign.domain.signer import Role
from undersign.domain.tenant import AccessRole


async def test_the_whole_lifecycle_signs_in_order_seals_once_and_audits_everything(platform, caller):
    envelope_id, document_id, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada), signature_text="Ada L."))
    envelope = (await platform.sign(sign(await link(platform, caller, envelope_id, bob)))).envelope

    assert envelope.status is EnvelopeStatus.COMPLETED
    assert platform.pdf_signer.calls == ["prepare", "sign Ada", "sign Bob"]  # the last signature does not wait for the seal
    await platform.run_background()
    # The document's seal, then the certificate of completion's, made once the envelope is sealed.
    assert platform.pdf_signer.calls == ["prepare", "sign Ada", "sign Bob", "seal", "seal"]
    document, content = await as_it_stands(platform, caller, envelope_id, document_id)
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
    document, _ = await as_it_stands(platform, caller, envelope_id, document_id)
    assert RevisionKind.SIGNED not in [r.kind for r in document.revisions]
    platform.pdf_signer.failure = None
    assert (await platform.sign(sign(token))).envelope.status is EnvelopeStatus.COMPLETED


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


async def test_an_upload_is_stored_once_and_its_record_tried_again_when_another_writer_came_first(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    stored = dict(platform.blob_store.blobs)
    now, records = platform.clock.now, []

    def racing_now():
        records.append(1)  # the record's attempt reads the time once it holds the envelope
        if len(records) == 1:
            platform.db.envelopes[envelope_id].version += 1  # another writer commits meanwhile
        return now()

    platform.clock.now = racing_now  # type: ignore[method-assign]
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope_id, filename="b.pdf", content=b"%PDF-1.7")
    )

    assert len(records) == 2  # the lost attempt, then the one that committed
    assert platform.blob_store.blobs == {**stored, document.current.blob_key: b"%PDF-1.7"}
    assert platform.blob_store.open_files == set()


async def test_an_upload_whose_record_cannot_be_made_leaves_no_blob(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    stored = dict(platform.blob_store.blobs)
    put_file = platform.blob_store.put_file

    async def sent_meanwhile(key: str, path: str):
        platform.blob_store.put_file = put_file  # type: ignore[method-assign]
        written = await put_file(key, path)
        await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))  # no longer a draft
        return written

    platform.blob_store.put_file = sent_meanwhile  # type: ignore[method-assign]
    with pytest.raises(InvalidState):
        await platform.add_document(AddDocument(caller=caller, envelope_id=envelope_id, filename="b.pdf", content=b"%PDF-1.7"))

    assert set(platform.blob_store.blobs) <= set(stored) | {
        r.blob_key for d in platform.db.documents.values() for r in d.revisions
    }  # the upload's blob went; only what records name is kept
    assert len(platform.blob_store.blobs) == len(stored) + 1  # the send's prepared revision


async def test_an_upload_arrives_in_chunks_and_is_kept_as_one_file(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")

    async def arriving():
        for part in (b"%PDF-1.7 ", b"pages=3 ", b"the rest"):
            yield part

    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope_id, filename="c.pdf", content=arriving())
    )

    assert platform.blob_store.blobs[document.current.blob_key] == b"%PDF-1.7 pages=3 the rest"
    assert len(document.pages) == 3 and document.current.size == 25
    assert document.current.sha256 == hashlib.sha256(b"%PDF-1.7 pages=3 the rest").hexdigest()


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
    _, content = await as_it_stands(platform, caller, envelope_id, document_id)
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


async def test_sending_answers_with_the_envelope_and_documents_a_read_would_give(platform, caller):
    envelope_id, document_id, _ = await envelope_with(platform, caller, "Ada")
    sent, documents = await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    read, read_documents = await platform.envelope_queries.get(caller, envelope_id)

    assert (sent.version, sent.status) == (read.version, read.status) == (read.version, EnvelopeStatus.SENT)
    assert [(d.id, d.current) for d in documents] == [(d.id, d.current) for d in read_documents]
    assert [(d.id, d.current.kind) for d in documents] == [(document_id, RevisionKind.PREPARED)]


async def test_a_change_expecting_the_current_version_goes_through(platform, caller):
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada")
    envelope, _ = await platform.envelope_queries.get(caller, envelope_id)

    sent, _ = await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id, expected_version=envelope.version))
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


async def four_envelopes_an_hour_apart(platform, caller) -> list:
    made = []
    for n in range(4):
        made.append(await platform.create_envelope(CreateEnvelope(caller=caller, subject=f"E{n}")))
        platform.clock.advance(timedelta(hours=1))
    return made


async def test_a_page_of_one_is_allowed_and_a_page_of_none_is_refused(platform, caller):
    made = await four_envelopes_an_hour_apart(platform, caller)
    page = await platform.envelope_queries.list(caller, limit=1, after=None)
    assert [e.id for e in page.items] == [made[3].id]
    with pytest.raises(InvalidInput, match="^limit must be between 1 and 100$"):
        await platform.envelope_queries.list(caller, limit=0, after=None)


async def test_a_page_ends_at_its_last_envelope_and_a_full_last_page_has_no_cursor(platform, caller):
    made = await four_envelopes_an_hour_apart(platform, caller)
    first = await platform.envelope_queries.list(caller, limit=3, after=None)
    assert [e.id for e in first.items] == [made[3].id, made[2].id, made[1].id]
    assert first.next_cursor == EnvelopeCursor(created_at=made[1].created_at, id=made[1].id)
    rest = await platform.envelope_queries.list(caller, limit=1, after=first.next_cursor)
    assert ([e.id for e in rest.items], rest.next_cursor) == ([made[0].id], None)


async def test_creation_time_bounds_filter_in_any_offset(platform, caller):
    made = await four_envelopes_an_hour_apart(platform, caller)
    plus_two = timezone(timedelta(hours=2))
    where = EnvelopeFilter(
        created_after=made[1].created_at.astimezone(plus_two), created_before=made[3].created_at.astimezone(plus_two)
    )
    page = await platform.envelope_queries.list(caller, where=where, limit=10, after=None)
    assert [e.id for e in page.items] == [made[2].id, made[1].id]


@pytest.mark.parametrize("name", ["created_after", "created_before"])
async def test_each_creation_time_bound_needs_an_offset_and_is_named(platform, caller, name):
    with pytest.raises(InvalidInput, match=f"^{name} needs a UTC offset"):
        await platform.envelope_queries.list(
            caller, where=EnvelopeFilter(**{name: datetime(2026, 1, 5, 9)}), limit=10, after=None
        )


async def test_a_cursor_without_an_offset_is_refused_as_the_cursor(platform, caller):
    with pytest.raises(InvalidInput, match="^the cursor needs a UTC offset"):
        await platform.envelope_queries.list(caller, limit=10, after=EnvelopeCursor(created_at=datetime(2026, 1, 5), id="x"))


async def test_operators_read_the_chain_the_tenant_reads(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    trail = await platform.envelope_queries.verify_audit_trail(envelope_id)
    assert trail.entries == (await platform.envelope_queries.audit_trail(caller, envelope_id)).entries
    assert [e.type for e in trail.entries][:2] == ["EnvelopeCreated", "DocumentAdded"]
    with pytest.raises(NotFound, match="^no envelope missing$"):
        await platform.envelope_queries.verify_audit_trail("missing")


# -- who each act is recorded as ------------------------------------------------------------------


async def entries_of(platform, caller, envelope_id, kind: str) -> list:
    return [e for e in (await platform.envelope_queries.audit_trail(caller, envelope_id)).entries if e.type == kind]


async def code_recipient(platform, caller) -> tuple[str, str, str]:
    envelope_id, _, _ = await envelope_with(platform, caller)
    signer = await platform.add_signer(
        AddSigner(caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com", auth_method=SignerAuth.EMAIL_OTP)
    )
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    return envelope_id, signer.id, await link(platform, caller, envelope_id, signer.id)


async def test_a_recipient_who_passed_their_code_declines_as_themselves(platform, caller):
    envelope_id, signer_id, token = await code_recipient(platform, caller)
    await platform.signer_authentication.send_code(token)
    code = re.search(r"\b\d{6}\b", platform.mailer.sent[-1].text).group(0)
    signer_pass = await platform.signer_authentication.verify(token, code)

    session = await platform.decline(Decline(token=token, reason="wrong rent", signer_pass=signer_pass))

    assert (session.signer.id, session.signer.decline_reason, session.authentication.passed, session.embedded) == (
        signer_id, "wrong rent", True, False
    )
    [declined] = await entries_of(platform, caller, envelope_id, "SignerDeclined")
    assert (declined.actor, declined.data) == (f"signer:{signer_id}", {"signer_id": signer_id, "reason": "wrong rent"})


async def test_a_decline_through_an_embedded_link_is_an_embedded_session(platform, caller):
    platform.db.policies[caller.tenant_id] = replace(platform.db.policies[caller.tenant_id], embedded_signing=True)
    envelope_id, signer_id, _ = await code_recipient(platform, caller)
    issued = await platform.create_signing_link(
        CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=signer_id, embedded_by="Acme portal SSO")
    )
    session = await platform.decline(Decline(token=issued.token, reason="no"))
    assert session.embedded is True and session.authentication.passed


async def test_voiding_and_unlocking_are_recorded_as_the_caller(platform, caller):
    envelope_id, signer_id, token = await code_recipient(platform, caller)
    await platform.signer_authentication.send_code(token)
    await platform.unlock_signer(UnlockSigner(caller=caller, envelope_id=envelope_id, signer_id=signer_id))
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="sent by mistake"))

    [unlocked] = await entries_of(platform, caller, envelope_id, "SignerUnlocked")
    [voided] = await entries_of(platform, caller, envelope_id, "EnvelopeVoided")
    assert (unlocked.actor, voided.actor, voided.data) == (caller.actor, caller.actor, {"reason": "sent by mistake"})


async def test_an_invitations_link_is_issued_by_the_system(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.run_background()
    assert [e.actor for e in await entries_of(platform, caller, envelope_id, "SigningLinkIssued")] == ["system"]


async def test_a_document_of_another_envelope_is_not_found_in_this_one(platform, caller):
    mine, _, _ = await envelope_with(platform, caller, "Ada")
    _, theirs, _ = await envelope_with(platform, caller, "Bob")
    with pytest.raises(NotFound, match=f"^no document {theirs} in envelope {mine}$"):
        await platform.envelope_queries.document_content(caller, mine, theirs)


def test_a_moment_is_given_back_in_utc_itself_and_one_past_the_year_9999_is_named():
    assert in_utc(datetime(2026, 1, 5, 11, tzinfo=timezone(timedelta(hours=2))), "x") == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert in_utc(datetime(2026, 1, 5, 11, tzinfo=timezone(timedelta(hours=2))), "x").tzinfo is UTC
    with pytest.raises(InvalidInput, match="^the deadline is out of range: it must fall between the years 1 and 9999 in UTC$"):
        in_utc(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), "the deadline")


async def test_a_page_of_envelopes_reads_one_more_than_it_shows_and_no_more(platform, caller):
    asked = []

    def noting_limits():
        uow = platform.unit_of_work()
        read = uow.envelopes.list

        async def list_(tenant_id, *, where, limit, after):
            asked.append(limit)
            return await read(tenant_id, where=where, limit=limit, after=after)

        uow.envelopes.list = list_
        return uow

    await EnvelopeQueries(noting_limits).list(caller, limit=7, after=None)
    assert asked == [8]
