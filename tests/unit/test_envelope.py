"""The Envelope aggregate's state machine and invariants."""

from datetime import UTC, datetime, timedelta

import pytest

from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import (
    AlreadyActed,
    AlreadyDeclined,
    AlreadySigned,
    InvalidInput,
    InvalidState,
    NotYourTurn,
)
from undersign.domain.field import FieldKind, PageSize, Placement
from undersign.domain.policy import Policy, Routing
from undersign.domain.signer import Role, SignerStatus, SigningEvidence

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A4 = [PageSize(width=595, height=842)]
POLICY = Policy(id="p1", tenant_id="t1", name="default")


def draft(routing: Routing = Routing.SEQUENTIAL) -> Envelope:
    envelope = Envelope.create(
        envelope_id="e1", tenant_id="t1", subject="NDA", message="", routing=routing, now=NOW, actor="api_key:k"
    )
    envelope.add_document(document_id="d1", filename="nda.pdf", now=NOW, actor="api_key:k")
    return envelope


def add(envelope: Envelope, signer_id: str, *, role: Role = Role.SIGNER, order: int | None = None) -> None:
    envelope.add_signer(
        signer_id=signer_id, name=f"Person {signer_id}", email=f"{signer_id}@example.com",
        role=role, routing_order=order, now=NOW, actor="api_key:k",
    )


def sign(envelope: Envelope, signer_id: str, at: datetime = NOW) -> None:
    values = envelope.resolve_field_values(signer_id=signer_id, values={}, signature_text="Ada", now=at)
    evidence = SigningEvidence(at=at, ip="203.0.113.9", user_agent="t", auth_method="link", signature_text="Ada", consent_text="c")
    envelope.sign(signer_id=signer_id, field_values=values, evidence=evidence, actor=f"signer:{signer_id}")


def event_types(envelope: Envelope) -> list[str]:
    return [e.type for e in envelope.events]


def test_a_new_envelope_is_a_draft_and_records_its_creation():
    envelope = draft()
    assert envelope.status is EnvelopeStatus.DRAFT
    assert event_types(envelope) == ["EnvelopeCreated", "DocumentAdded"]


def test_a_subject_is_required():
    with pytest.raises(InvalidInput, match="subject"):
        Envelope.create(envelope_id="e", tenant_id="t", subject="  ", message="", routing=Routing.PARALLEL, now=NOW, actor="a")


def test_sequential_routing_numbers_recipients_in_the_order_they_are_added():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "s2")
    assert [s.routing_order for s in envelope.signers] == [1, 2]


def test_sending_notifies_only_the_first_routing_order():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "s2")
    envelope.send(policy=POLICY, now=NOW, actor="api_key:k")
    assert envelope.status is EnvelopeStatus.SENT
    assert [s.status for s in envelope.signers] == [SignerStatus.NOTIFIED, SignerStatus.PENDING]
    assert envelope.expires_at == NOW + timedelta(days=POLICY.expiry_days)


def test_the_next_order_is_notified_when_the_current_one_is_done_and_the_last_completes():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "s2")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    sign(envelope, "s1")
    assert envelope.signer("s2").status is SignerStatus.NOTIFIED
    assert envelope.status is EnvelopeStatus.SENT
    sign(envelope, "s2")
    assert envelope.status is EnvelopeStatus.COMPLETED
    assert event_types(envelope)[-2:] == ["SignerSigned", "EnvelopeCompleted"]


def test_signing_out_of_turn_is_refused():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "s2")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    with pytest.raises(NotYourTurn):
        sign(envelope, "s2")


def test_recipients_with_the_same_order_sign_in_parallel():
    envelope = draft()
    add(envelope, "s1", order=1)
    add(envelope, "s2", order=1)
    add(envelope, "s3", order=2)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    sign(envelope, "s2")
    assert envelope.signer("s3").status is SignerStatus.PENDING
    sign(envelope, "s1")
    assert envelope.signer("s3").status is SignerStatus.NOTIFIED


def test_parallel_routing_ignores_routing_orders():
    envelope = draft(Routing.PARALLEL)
    add(envelope, "s1", order=1)
    add(envelope, "s2", order=5)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    assert all(s.status is SignerStatus.NOTIFIED for s in envelope.signers)


def test_signing_twice_is_refused():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "s2")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    sign(envelope, "s1")
    with pytest.raises(AlreadyActed):
        sign(envelope, "s1")


def test_a_signature_asked_for_again_is_a_repeat_only_with_the_same_typed_signature():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "s2")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    assert envelope.repeats_signature(signer_id="s1", signature_text="Ada") is False  # not signed yet
    sign(envelope, "s1")

    assert envelope.repeats_signature(signer_id="s1", signature_text=" Ada ") is True
    with pytest.raises(AlreadySigned):
        envelope.repeats_signature(signer_id="s1", signature_text="Somebody Else")
    with pytest.raises(AlreadySigned):
        envelope.repeats_decline(signer_id="s1", reason="changed my mind")


def test_a_decline_asked_for_again_is_a_repeat_only_for_the_same_reason():
    envelope = draft()
    add(envelope, "s1")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    assert envelope.repeats_decline(signer_id="s1", reason="wrong rate") is False
    envelope.decline(signer_id="s1", reason="wrong rate", now=NOW, actor="signer:s1")

    assert envelope.repeats_decline(signer_id="s1", reason="  wrong rate ") is True
    with pytest.raises(AlreadyDeclined):
        envelope.repeats_decline(signer_id="s1", reason="another reason")
    with pytest.raises(AlreadyDeclined):
        envelope.repeats_signature(signer_id="s1", signature_text="Ada")


def test_carbon_copies_do_not_hold_routing_up_and_are_notified_at_completion():
    envelope = draft()
    add(envelope, "s1")
    add(envelope, "cc", role=Role.CC)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    sign(envelope, "s1")
    assert envelope.status is EnvelopeStatus.COMPLETED
    assert envelope.signer("cc").status is SignerStatus.NOTIFIED


def test_an_approver_approves():
    envelope = draft()
    add(envelope, "a1", role=Role.APPROVER)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    sign(envelope, "a1")
    assert envelope.signer("a1").status is SignerStatus.APPROVED
    assert "SignerApproved" in event_types(envelope)


def test_sending_needs_a_document_and_someone_who_acts():
    envelope = Envelope.create(envelope_id="e", tenant_id="t", subject="s", message="", routing=Routing.PARALLEL, now=NOW, actor="a")
    add(envelope, "s1")
    with pytest.raises(InvalidState, match="document"):
        envelope.send(policy=POLICY, now=NOW, actor="k")
    only_cc = draft()
    add(only_cc, "cc", role=Role.CC)
    with pytest.raises(InvalidState, match="signer or approver"):
        only_cc.send(policy=POLICY, now=NOW, actor="k")


def test_editing_after_send_is_refused():
    envelope = draft()
    add(envelope, "s1")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    with pytest.raises(InvalidState, match="only a draft"):
        add(envelope, "s2")
    with pytest.raises(InvalidState, match="only a draft"):
        envelope.add_document(document_id="d2", filename="x.pdf", now=NOW, actor="k")


def test_a_decline_ends_the_envelope():
    envelope = draft(Routing.PARALLEL)
    add(envelope, "s1")
    add(envelope, "s2")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    envelope.decline(signer_id="s1", reason="wrong amount", now=NOW, actor="signer:s1")
    assert envelope.status is EnvelopeStatus.DECLINED
    with pytest.raises(InvalidState):
        sign(envelope, "s2")


def test_declining_needs_a_reason():
    envelope = draft()
    add(envelope, "s1")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    with pytest.raises(InvalidInput, match="reason"):
        envelope.decline(signer_id="s1", reason=" ", now=NOW, actor="signer:s1")


def test_only_a_sent_envelope_can_be_voided_and_then_nobody_signs():
    envelope = draft()
    add(envelope, "s1")
    with pytest.raises(InvalidState):
        envelope.void(reason="mistake", now=NOW, actor="k")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    envelope.void(reason="mistake", now=NOW, actor="k")
    assert envelope.status is EnvelopeStatus.VOIDED
    with pytest.raises(InvalidState, match="voided"):
        sign(envelope, "s1")


def test_nobody_signs_after_expiry():
    envelope = draft()
    add(envelope, "s1")
    envelope.send(policy=POLICY, now=NOW, actor="k")
    with pytest.raises(InvalidState, match="expired"):
        sign(envelope, "s1", at=envelope.expires_at)


def place(envelope: Envelope, kind: FieldKind, *, signer_id: str = "s1", page: int = 1, x: float = 10, required: bool = True):
    return envelope.place_field(
        field_id=f"f-{kind.value}", document_id="d1", signer_id=signer_id, kind=kind,
        placement=Placement(page=page, x=x, y=10, width=100, height=20),
        required=required, pages=A4, now=NOW, actor="k",
    )


def test_fields_must_fit_on_an_existing_page():
    envelope = draft()
    add(envelope, "s1")
    with pytest.raises(InvalidInput, match="page 2 does not exist"):
        place(envelope, FieldKind.TEXT, page=2)
    with pytest.raises(InvalidInput, match="does not fit"):
        place(envelope, FieldKind.TEXT, x=500)


def test_field_values_are_resolved_per_kind():
    envelope = draft()
    add(envelope, "s1")
    for kind in FieldKind:
        place(envelope, kind, required=kind is not FieldKind.CHECKBOX)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    values = envelope.resolve_field_values(
        signer_id="s1", values={"f-text": "ACME Ltd", "f-checkbox": True}, signature_text="Ada Lovelace", now=NOW
    )
    assert values == {
        "f-signature": "Ada Lovelace",
        "f-initials": "AL",
        "f-date_signed": "2026-03-01",
        "f-text": "ACME Ltd",
        "f-checkbox": "true",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "f-text is required"),
        ({"f-text": "x", "f-other": "y"}, "not yours"),
        ({"f-text": 3}, "takes text"),
        ({"f-text": "x", "f-date_signed": "2020-01-01"}, "platform fills it"),
    ],
)
def test_bad_field_values_are_refused(values, message):
    envelope = draft()
    add(envelope, "s1")
    place(envelope, FieldKind.TEXT)
    place(envelope, FieldKind.DATE_SIGNED)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    with pytest.raises(InvalidInput, match=message):
        envelope.resolve_field_values(signer_id="s1", values=values, signature_text="Ada", now=NOW)


def test_a_required_checkbox_must_be_checked():
    envelope = draft()
    add(envelope, "s1")
    place(envelope, FieldKind.CHECKBOX)
    envelope.send(policy=POLICY, now=NOW, actor="k")
    with pytest.raises(InvalidInput, match="must be checked"):
        envelope.resolve_field_values(signer_id="s1", values={"f-checkbox": False}, signature_text="Ada", now=NOW)


def test_carbon_copies_cannot_have_fields():
    envelope = draft()
    add(envelope, "cc", role=Role.CC)
    with pytest.raises(InvalidInput, match="carbon-copy"):
        place(envelope, FieldKind.SIGNATURE, signer_id="cc")


def test_the_same_email_cannot_be_added_twice_in_the_same_role():
    envelope = draft()
    add(envelope, "s1")
    with pytest.raises(InvalidInput, match="already"):
        envelope.add_signer(signer_id="s9", name="X", email="S1@example.com", role=Role.SIGNER, routing_order=None, now=NOW, actor="k")


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "a b@example.com"])
def test_recipients_need_an_email_address(email):
    with pytest.raises(InvalidInput):
        draft().add_signer(signer_id="s", name="X", email=email, role=Role.SIGNER, routing_order=None, now=NOW, actor="k")
