"""Retention and legal hold in the Envelope aggregate: the purge date, what a hold blocks, the tombstone."""

from datetime import UTC, datetime, timedelta

import pytest

from undersign.domain.document import Document, DocumentStatus, RevisionKind
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import InvalidInput, InvalidState
from undersign.domain.field import FieldKind, PageSize, Placement
from undersign.domain.policy import Policy, Routing
from undersign.domain.retention import ContentPurged, NoLegalHold, UnderLegalHold
from undersign.domain.signer import Role, SigningEvidence

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = Policy(id="p1", tenant_id="t1", name="default", retention_days=30)
A4 = [PageSize(width=595, height=842)]


def sent() -> Envelope:
    envelope = Envelope.create(
        envelope_id="e1", tenant_id="t1", subject="NDA", message="", routing=Routing.SEQUENTIAL, now=NOW, actor="api_key:k"
    )
    envelope.add_document(document_id="d1", filename="nda.pdf", now=NOW, actor="api_key:k")
    envelope.add_signer(signer_id="s1", name="Ada", email="ada@example.com", role=Role.SIGNER, routing_order=None,
                        now=NOW, actor="api_key:k")
    envelope.place_field(field_id="f1", document_id="d1", signer_id="s1", kind=FieldKind.TEXT,
                         placement=Placement(page=1, x=10, y=10, width=100, height=20), required=False, pages=A4,
                         now=NOW, actor="api_key:k")
    envelope.send(policy=POLICY, now=NOW, actor="api_key:k")
    return envelope


def completed(at: datetime = NOW + timedelta(days=2)) -> Envelope:
    envelope = sent()
    values = envelope.resolve_field_values(signer_id="s1", values={"f1": "Flat 3"}, signature_text="Ada", now=at)
    envelope.sign(signer_id="s1", field_values=values, actor="signer:s1", evidence=SigningEvidence(
        at=at, ip="192.0.2.1", user_agent="ua", auth_method="link", signature_text="Ada", consent_text="ok",
    ))
    return envelope


def document() -> Document:
    doc = Document.upload(document_id="d1", tenant_id="t1", envelope_id="e1", filename="nda.pdf", pages=A4,
                          blob_key="t1/d1/1", sha256="a" * 64, size=100, now=NOW)
    doc.add_revision(kind=RevisionKind.SIGNED, blob_key="t1/d1/2", sha256="b" * 64, size=120, now=NOW, signer_id="s1")
    return doc


def test_a_draft_or_a_sent_envelope_has_no_purge_date():
    assert sent().purge_after is None
    assert not sent().is_due_for_purge(NOW + timedelta(days=10_000))


def test_an_envelope_that_completes_is_due_its_policys_retention_days_after_it_ended():
    ended = NOW + timedelta(days=2)
    envelope = completed(ended)
    assert envelope.status is EnvelopeStatus.COMPLETED
    assert envelope.purge_after == ended + timedelta(days=30)
    assert not envelope.is_due_for_purge(ended + timedelta(days=30) - timedelta(microseconds=1))
    assert envelope.is_due_for_purge(ended + timedelta(days=30))


@pytest.mark.parametrize("end", ["void", "decline", "expire"])
def test_voided_declined_and_expired_envelopes_are_due_from_when_they_ended(end):
    envelope = sent()
    at = NOW + timedelta(days=POLICY.expiry_days + 1) if end == "expire" else NOW + timedelta(days=1)
    match end:
        case "void":
            envelope.void(reason="wrong party", now=at, actor="api_key:k")
        case "decline":
            envelope.decline(signer_id="s1", reason="no", now=at, actor="signer:s1")
        case "expire":
            envelope.expire(now=at, actor="system")
    assert envelope.purge_after == at + timedelta(days=30)


def test_a_legal_hold_blocks_the_purge_until_it_is_released():
    envelope = completed()
    due = envelope.purge_after + timedelta(days=1)
    assert envelope.set_legal_hold(reason="litigation 2026-17", now=NOW, actor="user:admin")
    assert envelope.legal_hold.reason == "litigation 2026-17" and envelope.legal_hold.by == "user:admin"
    assert not envelope.is_due_for_purge(due)
    with pytest.raises(UnderLegalHold):
        envelope.begin_purge(now=due)
    envelope.release_legal_hold(reason="case closed", now=due, actor="user:admin")
    assert envelope.legal_hold is None and envelope.is_due_for_purge(due)
    assert [e.type for e in envelope.events[-2:]] == ["LegalHoldSet", "LegalHoldReleased"]
    assert envelope.events[-1].data == {"reason": "case closed"}


def test_setting_the_same_hold_again_changes_nothing_and_another_reason_replaces_it_from_the_same_start():
    envelope = completed()
    envelope.set_legal_hold(reason="audit", now=NOW, actor="user:a")
    events = len(envelope.events)
    assert not envelope.set_legal_hold(reason="audit", now=NOW + timedelta(days=1), actor="user:b")
    assert len(envelope.events) == events
    assert envelope.set_legal_hold(reason="litigation", now=NOW + timedelta(days=2), actor="user:b")
    assert envelope.legal_hold.reason == "litigation" and envelope.legal_hold.since == NOW
    assert envelope.legal_hold.by == "user:b"


def test_a_hold_needs_a_reason_and_only_a_hold_is_released():
    envelope = completed()
    with pytest.raises(InvalidInput):
        envelope.set_legal_hold(reason="  ", now=NOW, actor="user:a")
    with pytest.raises(NoLegalHold):
        envelope.release_legal_hold(reason="done", now=NOW, actor="user:a")
    envelope.set_legal_hold(reason="audit", now=NOW, actor="user:a")
    with pytest.raises(InvalidInput):
        envelope.release_legal_hold(reason="", now=NOW, actor="user:a")
    assert envelope.legal_hold is not None


def test_the_purge_is_begun_once_only_when_due_and_then_nothing_is_served():
    envelope = completed()
    with pytest.raises(InvalidState):
        envelope.begin_purge(now=envelope.purge_after - timedelta(seconds=1))
    due = envelope.purge_after
    envelope.require_documents()  # served until the purge begins
    assert envelope.begin_purge(now=due)
    assert not envelope.begin_purge(now=due + timedelta(days=1))  # a second run finds it begun
    assert envelope.purge_started_at == due
    with pytest.raises(ContentPurged):
        envelope.require_documents()
    with pytest.raises(ContentPurged):  # no hold on documents half deleted
        envelope.set_legal_hold(reason="too late", now=due, actor="user:a")


def test_finishing_the_purge_leaves_a_tombstone_with_the_hashes_and_records_it():
    envelope, doc = completed(), document()
    due = envelope.purge_after
    envelope.begin_purge(now=due)
    envelope.finish_purge([doc], now=due, actor="system")
    assert envelope.purged_at == due and doc.status is DocumentStatus.PURGED
    assert [(r.sha256, r.size) for r in doc.revisions] == [("a" * 64, 100), ("b" * 64, 120)]  # kept
    assert [f.value for f in envelope.fields] == [None]  # what the recipient typed goes with the documents
    assert envelope.signers[0].evidence is not None  # the evidence of the act stays, as in the chain
    event = envelope.events[-1]
    assert event.type == "DocumentsPurged" and event.webhook == "envelope.documents_purged"
    assert event.data == {"document_ids": ["d1"], "revisions": 2, "certificate": False, "retention_days": 30}
    assert not envelope.is_due_for_purge(due + timedelta(days=1))
    with pytest.raises(InvalidState):
        envelope.finish_purge([doc], now=due, actor="system")  # finished once
    with pytest.raises(ContentPurged):
        envelope.begin_purge(now=due + timedelta(days=1))


def test_a_purge_not_begun_cannot_be_finished():
    envelope = completed()
    with pytest.raises(InvalidState):
        envelope.finish_purge([document()], now=envelope.purge_after, actor="system")
    assert envelope.purged_at is None
