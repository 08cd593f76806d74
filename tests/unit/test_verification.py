"""The verdict on a verified document, the verification use case, and the certificate of completion, on fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.unit.flows import completed, envelope_with, link, sign
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.evidence.completion_certificate import HASH_PREFIX_LENGTH
from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    VerificationReport,
    VerifyPdf,
)
from undersign.application.shared.errors import InvalidDocument
from undersign.domain.errors import InvalidInput, InvalidState, NotFound
from undersign.domain.policy import SignatureLevel

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

    pdf = (await platform.completion_certificates.download(caller, envelope_id)).pdf

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
