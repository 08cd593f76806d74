"""The verdict on a verified document, the verification use case, and the certificate of completion, on fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.fakes.system import contents
from tests.unit.flows import completed, envelope_with, link, sign
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.evidence.completion_certificate import (
    HASH_PREFIX_LENGTH,
    AuditLine,
    CompletionCertificate,
    DocumentRecord,
    RecipientEvidence,
    SignedRevision,
    completion_certificate,
)
from undersign.application.evidence.verification import (
    MAX_TRUST_ROOT_BYTES,
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    VerificationReport,
    VerifyPdf,
)
from undersign.application.shared.errors import InvalidDocument, InvalidTrustRoot
from undersign.domain.document import RevisionKind
from undersign.domain.errors import InvalidInput, InvalidState, NotFound
from undersign.domain.policy import SignatureLevel
from undersign.domain.signer import Role

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

SOUND = SignatureReport(
    field_name="sig-1", kind=SignatureKind.SIGNATURE, signer_name="Ada", signer_email="ada@example.com",
    certificate_serial="1f", claimed_signing_time=AT, timestamp=None, intact=True, trusted=True,
    revocation=RevocationStatus.NOT_CHECKED, pades_level="B-B", coverage=Coverage.ENTIRE_REVISION,
    modifications_after=Modifications.FORM_FILLING, modifications_permitted=True,
    ades_indication="PASSED", ades_subindication=None, valid=True,
)
LAST = replace(SOUND, field_name="seal", coverage=Coverage.ENTIRE_FILE, modifications_after=Modifications.NONE)


def report(*signatures: SignatureReport) -> VerificationReport:
    return VerificationReport(sha256="a" * 64, validation_time=AT, signatures=signatures)


# -- the verdict ------------------------------------------------------------------------


def test_a_document_is_valid_when_every_signature_is_and_nothing_unsigned_follows():
    verdict = report(SOUND, LAST)

    assert verdict.valid and verdict.problems == []
    assert verdict.summary == "valid: 2 signatures, all intact and trusted, nothing unsigned after the last"


def test_validation_data_after_the_last_signature_is_not_an_unsigned_change():
    assert report(SOUND, replace(LAST, modifications_after=Modifications.VALIDATION_DATA)).valid


@pytest.mark.parametrize("changes", [Modifications.FORM_FILLING, Modifications.ANNOTATIONS, Modifications.OTHER, Modifications.UNKNOWN])
def test_anything_else_after_the_last_signature_makes_it_invalid(changes):
    verdict = report(SOUND, replace(LAST, modifications_after=changes))

    assert not verdict.valid and verdict.unsigned_changes is changes
    assert verdict.problems[0].startswith("the document was changed after its last signature")


@pytest.mark.parametrize("broken", [{"valid": False, "problems": ("its timestamp is invalid",)}, {"trusted": False}])
def test_one_invalid_or_untrusted_signature_makes_it_invalid(broken):
    verdict = report(replace(SOUND, **broken), LAST)

    assert not verdict.valid
    assert verdict.problems[0].startswith("signature 'sig-1' is not valid")
    assert verdict.summary == f"not valid: {verdict.problems[0]}"


def test_no_signature_is_not_valid():
    verdict = report()

    assert not verdict.valid and verdict.unsigned_changes is None
    assert verdict.problems == ["the document carries no signatures: there is nothing in it to verify"]


def test_a_platform_document_without_its_seal_is_not_valid_whatever_its_signatures():
    verdict = replace(report(SOUND, LAST), unsealed_platform_document=True)

    assert not verdict.valid
    assert verdict.problems == [
        "it was signed through Undersign but carries no platform seal: Undersign seals every document once its "
        "last recipient signs, so this one is unfinished or was cut before its seal"
    ]


def test_the_summary_counts_further_problems():
    verdict = report(replace(SOUND, trusted=False), replace(LAST, valid=False, modifications_after=Modifications.OTHER))

    assert len(verdict.problems) == 3 and verdict.summary.endswith("(and 2 more)")


# -- verifying --------------------------------------------------------------------------


async def test_verification_is_at_the_time_asked_for_in_utc_or_now(platform):
    later = datetime(2036, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))

    await platform.verify_pdf(VerifyPdf(caller=None, pdf=b"%PDF-1.7", trust_roots=[b"root"], at=later))
    await platform.verify_pdf(VerifyPdf(caller=None, pdf=b"%PDF-1.7"))

    (_, roots, first), (_, none, second) = platform.pdf_verifier.calls
    assert (roots, first, first.utcoffset()) == ([b"root"], later, timedelta(0))
    assert none is None and second == platform.clock.now()


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (VerifyPdf(caller=None, pdf=b""), InvalidDocument),
        (VerifyPdf(caller=None, pdf=b"%PDF", at=datetime(2030, 1, 1)), InvalidInput),
        (VerifyPdf(caller=None, pdf=b"%PDF", trust_roots=[]), InvalidInput),
    ],
)
async def test_verification_refuses_what_cannot_be_verified(platform, command, error):
    with pytest.raises(error):
        await platform.verify_pdf(command)
    assert platform.pdf_verifier.calls == []


# -- the certificate of completion ------------------------------------------------------


async def test_a_completed_envelope_has_a_sealed_certificate_with_the_evidence(platform, caller):
    envelope_id, document_id, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(replace(sign(await link(platform, caller, envelope_id, ada)), ip="203.0.113.7", user_agent="Browser/1"))
    await platform.sign(sign(await link(platform, caller, envelope_id, bob)))
    with pytest.raises(InvalidState, match="being sealed"):  # until the seal job has run
        await platform.completion_certificates.download(caller, envelope_id)
    await platform.run_background()

    pdf = await contents(await platform.completion_certificates.download(caller, envelope_id))

    assert pdf == f"%certificate of {envelope_id}\n%sealed".encode()
    assert platform.pdf_signer.calls[-1] == "seal" and platform.pdf_signer.levels[-1] is SignatureLevel.PADES_B_LTA
    (certificate,) = platform.certificate_renderer.rendered
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    # The trail up to the seal: the entry recording the certificate's own making follows it.
    *shown, made = trail.entries
    assert made.type == "CompletionCertificateMade" and shown[-1].type == "EnvelopeSealed"
    assert [line.hash_prefix for line in certificate.audit] == [e.hash[:HASH_PREFIX_LENGTH] for e in shown]
    assert certificate.chain_head == shown[-1].hash and certificate.chain_valid
    envelope, (document,) = await platform.envelope_queries.get(caller, envelope_id)
    assert certificate.status == "completed" and certificate.completed_at == envelope.completed_at
    assert certificate.documents[0].final_sha256 == document.current.sha256
    first, second = certificate.recipients
    assert (first.name, first.ip, first.user_agent, first.auth_method) == ("Ada", "203.0.113.7", "Browser/1", "link")
    assert first.certificate_serials == envelope.signer(ada).evidence.certificate_serials
    # Each recipient's signature turned one revision into the next: Bob signed what Ada's signature made.
    (ada_revision,), (bob_revision,) = first.revisions, second.revisions
    assert ada_revision.after_sha256 == bob_revision.before_sha256
    assert [r.sha256 for r in document.revisions].index(ada_revision.before_sha256) == 1  # the prepared form


async def test_the_same_envelope_always_gives_the_same_certificate(platform, caller):
    envelope_id, _ = await completed(platform, caller)

    first = await platform.completion_certificates.download(caller, envelope_id)
    platform.clock.advance(timedelta(days=1))
    second = await platform.completion_certificates.download(caller, envelope_id)

    assert first == second and len(platform.certificate_renderer.rendered) == 1  # made once, at the seal


async def test_only_a_completed_envelope_has_a_certificate(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")

    with pytest.raises(InvalidState, match="draft"):
        await platform.completion_certificates.download(caller, envelope_id)
    with pytest.raises(NotFound):
        await platform.completion_certificates.download(caller, "no-such-envelope")
    assert platform.certificate_renderer.rendered == []


@pytest.mark.parametrize(
    ("changes", "described"),
    [
        (Modifications.FORM_FILLING, "form filling or another signature field"),
        (Modifications.ANNOTATIONS, "annotations"),
        (Modifications.OTHER, "changes to the content"),
        (Modifications.UNKNOWN, "changes that could not be analysed"),
    ],
)
def test_an_unsigned_change_is_described_in_words(changes, described):
    verdict = report(SOUND, replace(LAST, modifications_after=changes))

    assert verdict.problems == [
        f"the document was changed after its last signature ({described}) and no signature covers that change"
    ]


async def test_a_caller_who_may_verify_has_the_very_pdf_verified(platform, caller):
    await platform.verify_pdf(VerifyPdf(caller=caller, pdf=b"%PDF-1.7 mine"))

    [(pdf, roots, at)] = platform.pdf_verifier.calls
    assert (pdf, roots, at) == (b"%PDF-1.7 mine", None, platform.clock.now())


async def test_trust_roots_of_exactly_the_limit_are_taken_and_one_byte_more_is_refused(platform):
    half = b"r" * (MAX_TRUST_ROOT_BYTES // 2)
    await platform.verify_pdf(VerifyPdf(caller=None, pdf=b"%PDF", trust_roots=[half, half]))
    assert platform.pdf_verifier.calls[0][1] == [half, half]

    with pytest.raises(InvalidTrustRoot, match="^trust roots are a few certificates: at most 256 KiB in all$"):
        await platform.verify_pdf(VerifyPdf(caller=None, pdf=b"%PDF", trust_roots=[half, half, b"r"]))
    assert len(platform.pdf_verifier.calls) == 1


@pytest.mark.parametrize(
    ("command", "error", "reason"),
    [
        (VerifyPdf(caller=None, pdf=b""), InvalidDocument, "^the file is empty$"),
        (VerifyPdf(caller=None, pdf=b"%PDF", at=datetime(2030, 1, 1)), InvalidInput, "^the validation time needs a UTC offset"),
        (VerifyPdf(caller=None, pdf=b"%PDF", trust_roots=[]), InvalidInput, "^give at least one trust root, or none"),
    ],
)
async def test_a_refused_verification_says_why(platform, command, error, reason):
    with pytest.raises(error, match=reason):
        await platform.verify_pdf(command)


# -- what the certificate of completion says, field by field -------------------------------------

async def test_a_completed_envelope_gives_every_fact_of_its_record(platform, caller):
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.add_signer(AddSigner(caller=caller, envelope_id=envelope_id, name="Cy", email="cy@example.com", role=Role.CC))
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    envelope = platform.db.envelopes[envelope_id]
    document = platform.db.documents[document_id]
    entries = list(platform.db.audit[envelope_id])
    signed = next(r for r in document.revisions if r.kind is RevisionKind.SIGNED)
    before = document.revisions[document.revisions.index(signed) - 1]
    ada_signer, cy = envelope.signers
    evidence = ada_signer.evidence

    certificate = completion_certificate(envelope, [document], entries)

    assert certificate == CompletionCertificate(
        envelope_id=envelope_id,
        subject="Lease",
        status="completed",
        routing="sequential",
        signature_level="PAdES-B-LTA",
        created_at=envelope.created_at,
        sent_at=envelope.sent_at,
        completed_at=envelope.completed_at,
        documents=(
            DocumentRecord(
                id=document_id, filename="lease.pdf", pages=2,
                original_sha256=document.original.sha256, final_sha256=document.current.sha256,
            ),
        ),
        recipients=(
            RecipientEvidence(
                name="Ada", email="ada@example.com", role="signer", status="signed", routing_order=1,
                acted_at=ada_signer.acted_at, auth_method="link", ip=evidence.ip, user_agent=evidence.user_agent,
                certificate_serials=evidence.certificate_serials,
                revisions=(SignedRevision(filename="lease.pdf", before_sha256=before.sha256, after_sha256=signed.sha256),),
            ),
            RecipientEvidence(
                name="Cy", email="cy@example.com", role="cc", status=cy.status.value, routing_order=2,
                acted_at=None, auth_method=None, ip=None, user_agent=None, certificate_serials=(), revisions=(),
            ),
        ),
        audit=tuple(
            AuditLine(seq=e.seq, type=e.type, at=e.at, actor=e.actor, hash_prefix=e.hash[:16]) for e in entries
        ),
        chain_head=entries[-1].hash,
        chain_valid=True,
        audit_entries=tuple(entries),
    )
    assert ada_signer.acted_at is not None and evidence.certificate_serials
    assert [line.seq for line in certificate.audit] == list(range(1, len(entries) + 1))
    assert document.original.sha256 != document.current.sha256


async def test_a_draft_without_a_policy_or_a_trail_has_no_level_no_head_and_no_evidence(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    envelope = platform.db.envelopes[envelope_id]

    certificate = completion_certificate(envelope, [], [])

    assert (certificate.signature_level, certificate.chain_head, certificate.sent_at, certificate.audit) == (None, None, None, ())
    [ada] = certificate.recipients
    assert (ada.auth_method, ada.ip, ada.user_agent, ada.certificate_serials, ada.revisions) == (None, None, None, (), ())


async def test_a_certificate_asked_for_before_completion_is_refused_saying_why(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    with pytest.raises(InvalidState, match=f"^envelope {envelope_id} is sent: its certificate of completion exists once"):
        await platform.make_completion_certificate.made(caller.tenant_id, envelope_id)


async def test_the_certificate_is_recorded_as_made_by_the_system(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    [made] = [e for e in platform.db.audit[envelope_id] if e.type == "CompletionCertificateMade"]
    assert made.actor == "system"
