"""The envelope's policy decides whether a recipient may decline (Policy.decline_allowed)."""

from datetime import UTC, datetime

import pytest

from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import InvalidState
from undersign.domain.policy import Policy, Routing
from undersign.domain.signer import Role, SignerStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sent_under(policy: Policy) -> Envelope:
    envelope = Envelope.create(
        envelope_id="e1", tenant_id="t1", subject="NDA", message="", routing=Routing.PARALLEL,
        now=NOW, actor="api_key:k",
    )
    envelope.add_document(document_id="d1", filename="nda.pdf", now=NOW, actor="api_key:k")
    for signer_id in ("s1", "s2"):
        envelope.add_signer(
            signer_id=signer_id, name=f"Person {signer_id}", email=f"{signer_id}@example.com",
            role=Role.SIGNER, routing_order=None, now=NOW, actor="api_key:k",
        )
    envelope.send(policy=policy, now=NOW, actor="api_key:k")
    envelope.events.clear()
    return envelope


def test_a_policy_that_forbids_declining_refuses_the_decline_and_changes_nothing() -> None:
    envelope = sent_under(Policy(id="p1", tenant_id="t1", name="no declines", decline_allowed=False))

    with pytest.raises(InvalidState, match="policy does not allow declining") as refused:
        envelope.decline(signer_id="s1", reason="wrong amount", now=NOW, actor="signer:s1")

    assert refused.value.code == "invalid_state"
    assert envelope.status is EnvelopeStatus.SENT
    assert envelope.signer("s1").status is SignerStatus.NOTIFIED
    assert envelope.signer("s1").decline_reason is None
    assert envelope.events == []


@pytest.mark.parametrize("policy", [
    Policy(id="p1", tenant_id="t1", name="declines allowed", decline_allowed=True),
    Policy(id="p1", tenant_id="t1", name="the default"),
], ids=["allowed", "default"])  # fmt: skip
def test_a_policy_that_allows_declining_lets_the_recipient_decline(policy: Policy) -> None:
    envelope = sent_under(policy)

    envelope.decline(signer_id="s1", reason="wrong amount", now=NOW, actor="signer:s1")

    assert envelope.status is EnvelopeStatus.DECLINED
    signer = envelope.signer("s1")
    assert (signer.status, signer.decline_reason) == (SignerStatus.DECLINED, "wrong amount")
    assert [event.type for event in envelope.events] == ["SignerDeclined"]
