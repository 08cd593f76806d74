"""What each Envelope transition stores and records: the exact event, who did it, and updated_at."""

from datetime import UTC, datetime, timedelta

import pytest

from undersign.domain.completion_certificate import StoredCertificate
from undersign.domain.envelope import MAX_REASON_LENGTH, Envelope, EnvelopeStatus
from undersign.domain.errors import AlreadyDeclined, AlreadySigned, InvalidInput, InvalidState
from undersign.domain.events import (
    ArchiveTimestampAdded,
    CompletionCertificateMade,
    DocumentSealed,
    EnvelopeExpired,
    EnvelopeVoided,
    SignerAuthenticated,
    SignerAuthenticationFailed,
    SignerCodeSent,
    SignerDeclined,
    SignerLocked,
    SignerReminded,
    SignerViewed,
)
from undersign.domain.field import FieldKind, PageSize, Placement
from undersign.domain.policy import Policy, Routing, SignerAuth
from undersign.domain.signer import Role, SignerStatus, SigningEvidence
from undersign.domain.signer_authentication import (
    MAX_ACCESS_CODE_LENGTH,
    MAX_FAILED_ATTEMPTS,
    MIN_ACCESS_CODE_LENGTH,
    CodeCheck,
    SignerAuthState,
    check_access_code,
    phone_number,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=5)
POLICY = Policy(id="p1", tenant_id="t1", name="default")
SENDER = "user:u1"


def sent(*, policy: Policy = POLICY, auth_method: SignerAuth | None = None, phone: str | None = None) -> Envelope:
    envelope = Envelope.create(
        envelope_id="e1", tenant_id="t1", subject="NDA", message="", routing=Routing.SEQUENTIAL, now=T0, actor=SENDER
    )
    envelope.add_document(document_id="d1", filename="nda.pdf", now=T0, actor=SENDER)
    envelope.add_signer(
        signer_id="s1", name="Ada Lovelace", email="ada@example.com", role=Role.SIGNER, routing_order=None,
        now=T0, actor=SENDER, auth_method=auth_method, phone=phone,
    )
    envelope.send(policy=policy, now=T0, actor=SENDER)
    envelope.events.clear()
    return envelope


def completed() -> Envelope:
    envelope = sent()
    evidence = SigningEvidence(
        at=T0, ip="203.0.113.9", user_agent="t", auth_method="link", signature_text="Ada", consent_text="c"
    )
    envelope.sign(signer_id="s1", field_values={}, evidence=evidence, actor="signer:s1")
    envelope.events.clear()
    return envelope


# -- void, decline, expire, view, remind -------------------------------------------------------


def test_voiding_keeps_the_reason_touches_the_envelope_and_records_who_and_why():
    envelope = sent()
    envelope.void(reason="  wrong contract  ", now=LATER, actor=SENDER)
    assert envelope.status is EnvelopeStatus.VOIDED
    assert envelope.voided_reason == "wrong contract"
    assert envelope.updated_at == LATER
    assert envelope.events == [EnvelopeVoided(envelope_id="e1", at=LATER, actor=SENDER, reason="wrong contract")]


def test_voiding_without_a_reason_names_what_needs_one():
    with pytest.raises(InvalidInput, match="^voiding needs a reason$"):
        sent().void(reason="  ", now=LATER, actor=SENDER)


def test_a_reason_too_long_is_refused_as_the_reason():
    with pytest.raises(InvalidInput, match=f"^the reason has at most {MAX_REASON_LENGTH} characters$"):
        sent().void(reason="x" * (MAX_REASON_LENGTH + 1), now=LATER, actor=SENDER)


def test_declining_stores_when_and_why_and_records_it():
    envelope = sent()
    envelope.decline(signer_id="s1", reason=" not my name ", now=LATER, actor="signer:s1")
    signer = envelope.signer("s1")
    assert (signer.status, signer.acted_at, signer.decline_reason) == (SignerStatus.DECLINED, LATER, "not my name")
    assert envelope.status is EnvelopeStatus.DECLINED
    assert envelope.updated_at == LATER
    assert envelope.events == [
        SignerDeclined(envelope_id="e1", at=LATER, actor="signer:s1", signer_id="s1", reason="not my name")
    ]


def test_declining_without_a_reason_names_what_needs_one():
    envelope = sent()
    with pytest.raises(InvalidInput, match="^declining needs a reason$"):
        envelope.decline(signer_id="s1", reason=" ", now=LATER, actor="signer:s1")
    with pytest.raises(InvalidInput, match="^declining needs a reason$"):
        envelope.repeats_decline(signer_id="s1", reason=" ")


def test_a_policy_that_forbids_declining_refuses_it_and_says_so():
    envelope = sent(policy=Policy(id="p2", tenant_id="t1", name="no declines", decline_allowed=False))
    with pytest.raises(InvalidState, match="policy does not allow declining"):
        envelope.decline(signer_id="s1", reason="no", now=LATER, actor="signer:s1")
    assert envelope.status is EnvelopeStatus.SENT


def test_an_envelope_without_a_policy_snapshot_can_still_be_declined():
    # Sent before policies were snapshotted: nothing forbids a decline.
    envelope = sent()
    envelope.policy = None
    envelope.decline(signer_id="s1", reason="no", now=LATER, actor="signer:s1")
    assert envelope.status is EnvelopeStatus.DECLINED


def test_a_repeated_decline_after_a_signature_or_for_another_reason_says_what_happened():
    signed = completed()
    with pytest.raises(AlreadySigned, match="Ada Lovelace has already signed"):
        signed.repeats_decline(signer_id="s1", reason="no")
    declined = sent()
    declined.decline(signer_id="s1", reason="no", now=LATER, actor="signer:s1")
    with pytest.raises(AlreadyDeclined, match="Ada Lovelace has declined already"):
        declined.repeats_decline(signer_id="s1", reason="other")
    assert declined.repeats_decline(signer_id="s1", reason=" no ") is True


def test_expiring_touches_the_envelope_and_records_the_expiry_it_reached():
    envelope = sent()
    at = T0 + timedelta(days=POLICY.expiry_days)
    envelope.expire(now=at, actor="system")
    assert envelope.status is EnvelopeStatus.EXPIRED
    assert envelope.updated_at == at
    assert envelope.events == [EnvelopeExpired(envelope_id="e1", at=at, actor="system", expires_at=at.isoformat())]


def test_expiring_before_the_expiry_is_refused():
    envelope = sent()
    with pytest.raises(InvalidState, match="not reached its expiry"):
        envelope.expire(now=LATER, actor="system")
    assert envelope.status is EnvelopeStatus.SENT


def test_a_first_view_touches_the_envelope_and_records_who_viewed():
    envelope = sent()
    envelope.view(signer_id="s1", now=LATER, actor="signer:s1")
    assert envelope.updated_at == LATER
    assert envelope.events == [SignerViewed(envelope_id="e1", at=LATER, actor="signer:s1", signer_id="s1")]


def test_reminders_touch_the_envelope_and_record_who_reminded_whom():
    envelope = sent(policy=Policy(id="p3", tenant_id="t1", name="reminding", reminder_days=2, expiry_days=10))
    at = T0 + timedelta(days=2)
    assert [s.id for s in envelope.send_reminders(now=at, actor="system:reminders")] == ["s1"]
    assert envelope.updated_at == at
    assert envelope.events == [SignerReminded(envelope_id="e1", at=at, actor="system:reminders", signer_id="s1")]


# -- the recipients' authentication ----------------------------------------------------------------


def test_a_code_sent_records_by_whom_to_whom_how_and_where():
    envelope = sent(auth_method=SignerAuth.EMAIL_OTP)
    envelope.record_code_sent(signer_id="s1", code_hash="h", destination="a•••@example.com", now=LATER, actor="signer:s1")
    assert envelope.events == [
        SignerCodeSent(
            envelope_id="e1", at=LATER, actor="signer:s1", signer_id="s1", method="email_otp", destination="a•••@example.com"
        )
    ]


def test_a_code_for_a_recipient_who_authenticates_otherwise_is_refused_naming_the_method():
    envelope = sent()
    with pytest.raises(InvalidState, match="authenticates by link, not with a code"):
        envelope.record_code_sent(signer_id="s1", code_hash="h", destination="x", now=LATER, actor="signer:s1")


def test_an_sms_code_for_a_recipient_without_a_phone_is_refused():
    envelope = sent(auth_method=SignerAuth.SMS_OTP, phone="+44 20 7946 0000")
    envelope.signer("s1").auth.phone = None
    with pytest.raises(InvalidState, match="no phone number for SMS codes"):
        envelope.record_code_sent(signer_id="s1", code_hash="h", destination="x", now=LATER, actor="signer:s1")


def test_a_voided_envelope_refuses_authentication_saying_what_it_is():
    envelope = sent()
    envelope.void(reason="no", now=LATER, actor=SENDER)
    with pytest.raises(InvalidState, match="this envelope is voided: its recipients have nothing to open"):
        envelope.check_can_authenticate()


def test_a_right_answer_records_the_method_and_detail_and_touches_the_envelope():
    envelope = sent(auth_method=SignerAuth.EMAIL_OTP)
    envelope.record_code_sent(signer_id="s1", code_hash="h", destination="x", now=T0, actor="signer:s1")
    envelope.events.clear()
    at = T0 + timedelta(minutes=1)
    outcome = envelope.record_answer(signer_id="s1", correct=True, now=at, actor="signer:s1", detail="by code")
    assert outcome is CodeCheck.PASSED
    assert envelope.updated_at == at
    assert envelope.events == [
        SignerAuthenticated(envelope_id="e1", at=at, actor="signer:s1", signer_id="s1", method="email_otp", detail="by code")
    ]


def test_wrong_answers_record_the_count_and_the_last_one_locks():
    envelope = sent(auth_method=SignerAuth.EMAIL_OTP)
    envelope.record_code_sent(signer_id="s1", code_hash="h", destination="x", now=T0, actor="signer:s1")
    at = T0 + timedelta(minutes=1)
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        assert envelope.record_answer(signer_id="s1", correct=False, now=at, actor="signer:s1") is CodeCheck.WRONG
    envelope.events.clear()
    assert envelope.record_answer(signer_id="s1", correct=False, now=at, actor="signer:s1") is CodeCheck.LOCKED
    mine = {"envelope_id": "e1", "at": at, "actor": "signer:s1", "signer_id": "s1"}
    assert envelope.events == [
        SignerAuthenticationFailed(**mine, method="email_otp", failed_attempts=MAX_FAILED_ATTEMPTS),
        SignerLocked(**mine, method="email_otp"),
    ]


def test_authentication_by_the_sender_is_recorded_as_embedded():
    envelope = sent()
    envelope.record_authenticated_by_sender(signer_id="s1", how="sso:acme", now=LATER, actor="api_key:k")
    assert envelope.events == [
        SignerAuthenticated(envelope_id="e1", at=LATER, actor="api_key:k", signer_id="s1", method="embedded", detail="sso:acme")
    ]


# -- evidence of a completed envelope -------------------------------------------------------------


def test_a_sealed_document_and_an_archive_time_stamp_are_recorded_with_who_and_which_document():
    envelope = completed()
    envelope.record_document_sealed(document_id="d1", sha256="aa", now=LATER, actor="system:sealer")
    envelope.record_archive_timestamp_added(document_id="d1", sha256="bb", now=LATER, actor="system:archive")
    assert envelope.events == [
        DocumentSealed(envelope_id="e1", at=LATER, actor="system:sealer", document_id="d1", sha256="aa"),
        ArchiveTimestampAdded(envelope_id="e1", at=LATER, actor="system:archive", document_id="d1", sha256="bb"),
    ]


def test_the_completion_certificate_is_stored_touches_the_envelope_and_is_recorded():
    envelope = completed()
    certificate = StoredCertificate(blob_key="certs/e1.pdf", sha256="cc", size=1234, made_at=LATER)
    envelope.record_completion_certificate(certificate, actor="system:certificates")
    assert envelope.completion_certificate == certificate
    assert envelope.updated_at == LATER
    assert envelope.events == [
        CompletionCertificateMade(
            envelope_id="e1", at=LATER, actor="system:certificates", blob_key="certs/e1.pdf", sha256="cc", size=1234
        )
    ]


def test_evidence_of_completion_is_refused_before_completion_saying_why():
    envelope = sent()
    certificate = StoredCertificate(blob_key="k", sha256="cc", size=1, made_at=LATER)
    with pytest.raises(InvalidState, match="only a completed envelope's documents are sealed"):
        envelope.record_document_sealed(document_id="d1", sha256="aa", now=LATER, actor="system")
    with pytest.raises(InvalidState, match="only a completed envelope has a certificate of completion"):
        envelope.record_completion_certificate(certificate, actor="system")
    with pytest.raises(InvalidState, match="only a completed envelope's documents are time-stamped for the archive"):
        envelope.record_archive_timestamp_added(document_id="d1", sha256="bb", now=LATER, actor="system")
    assert envelope.events == []


# -- field values ---------------------------------------------------------------------------------


def with_field(kind: FieldKind) -> Envelope:
    envelope = Envelope.create(
        envelope_id="e1", tenant_id="t1", subject="NDA", message="", routing=Routing.SEQUENTIAL, now=T0, actor=SENDER
    )
    envelope.add_document(document_id="d1", filename="nda.pdf", now=T0, actor=SENDER)
    envelope.add_signer(
        signer_id="s1", name="Ada Lovelace", email="ada@example.com", role=Role.SIGNER, routing_order=None,
        now=T0, actor=SENDER,
    )
    envelope.place_field(
        field_id="f1", document_id="d1", signer_id="s1", kind=kind, required=False,
        placement=Placement(page=1, x=10, y=10, width=100, height=20), pages=[PageSize(width=595, height=842)],
        now=T0, actor=SENDER,
    )
    envelope.send(policy=POLICY, now=T0, actor=SENDER)
    return envelope


def test_initials_given_blank_stay_blank():
    envelope = with_field(FieldKind.INITIALS)
    assert envelope.resolve_field_values(signer_id="s1", values={"f1": "  "}, signature_text="Ada Lovelace", now=T0) == {
        "f1": ""
    }


def test_a_text_value_too_long_is_refused_naming_the_field():
    envelope = with_field(FieldKind.TEXT)
    with pytest.raises(InvalidInput, match="^field f1 has at most 1000 characters$"):
        envelope.resolve_field_values(signer_id="s1", values={"f1": "x" * 1001}, signature_text="Ada", now=T0)


# -- a recipient's authentication state -----------------------------------------------------------


def test_a_right_answer_clears_the_failures_and_an_unlock_clears_the_counts():
    state = SignerAuthState()
    state.code_issued("h", T0)
    state.answered(correct=False, now=T0, single_use=True)
    state.answered(correct=False, now=T0, single_use=True)
    assert state.answered(correct=True, now=T0, single_use=True) is CodeCheck.PASSED
    assert (state.failed_attempts, state.attempts_left) == (0, MAX_FAILED_ATTEMPTS)
    for _ in range(MAX_FAILED_ATTEMPTS):
        state.answered(correct=False, now=T0, single_use=True)
    assert state.locked
    state.unlock()
    assert (state.failed_attempts, state.codes_sent, state.locked) == (0, 0, False)


def test_a_phone_number_not_in_international_form_is_refused_with_an_example():
    with pytest.raises(InvalidInput, match="^a phone number for SMS codes is in international form, like \\+44 20 7946 0000$"):
        phone_number("020 7946 0000")


@pytest.mark.parametrize("code", ["a" * MIN_ACCESS_CODE_LENGTH, "a" * MAX_ACCESS_CODE_LENGTH])
def test_access_codes_of_the_shortest_and_longest_length_are_taken(code):
    assert check_access_code(code) == code


@pytest.mark.parametrize("code", [" abcdefg", "abcdefg ", "a" * (MIN_ACCESS_CODE_LENGTH - 1)])
def test_an_access_code_with_spaces_around_it_or_too_short_is_refused_saying_what_one_is(code):
    with pytest.raises(InvalidInput, match="^an access code is 6 to 64 printable characters, without spaces around it$"):
        check_access_code(code)
