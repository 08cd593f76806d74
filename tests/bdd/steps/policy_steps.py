"""Steps for signing policies (features/policies.feature), on the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from tests.fakes.platform import FakePlatform
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.shared.errors import Forbidden
from undersign.domain.envelope import Envelope
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing
from undersign.domain.tenant import AccessRole

ORDINALS = {"first": 1, "second": 2, "third": 3}


@dataclass
class PolicyDesk:
    platform: FakePlatform = field(default_factory=FakePlatform)
    admin: Caller | None = None
    sender: Caller | None = None
    policies: dict[str, str] = field(default_factory=dict)  # name -> id
    envelopes: dict[str, str] = field(default_factory=dict)  # subject -> id
    refusal: Exception | None = None

    async def policy_version(self, name: str) -> int:
        policy, _ = await self.platform.policies.get(self.admin, self.policies[name])
        return policy.version

    async def draft(self, subject: str, policy: str | None) -> str:
        """A draft with a document and two recipients, each with a signature field."""
        caller, platform = self.sender, self.platform
        envelope = await platform.create_envelope(
            CreateEnvelope(caller=caller, subject=subject, policy_id=self.policies[policy] if policy else None)
        )
        document = await platform.add_document(
            AddDocument(caller=caller, envelope_id=envelope.id, filename="c.pdf", content=b"%PDF-1.7 pages=2")
        )
        for name in ("Ada", "Bob"):
            signer = await platform.add_signer(
                AddSigner(caller=caller, envelope_id=envelope.id, name=name, email=f"{name.lower()}@example.com")
            )
            await platform.place_field(
                PlaceField(
                    caller=caller, envelope_id=envelope.id, document_id=document.id, signer_id=signer.id,
                    kind=FieldKind.SIGNATURE, placement=Placement(page=1, x=50, y=700, width=150, height=40),
                )
            )
        self.envelopes[subject] = envelope.id
        return envelope.id

    async def send(self, subject: str) -> Envelope:
        envelope, _ = await self.platform.send_envelope(SendEnvelope(caller=self.sender, envelope_id=self.envelopes[subject]))
        return envelope

    def envelope(self, subject: str) -> Envelope:
        return self.platform.db.envelopes[self.envelopes[subject]]


@pytest.fixture
def desk() -> PolicyDesk:
    return PolicyDesk()


def expiry_days(envelope: Envelope) -> float:
    assert envelope.expires_at is not None and envelope.sent_at is not None
    return (envelope.expires_at - envelope.sent_at) / timedelta(days=1)


@given(parsers.parse('the organisation "{slug}" keeps a policy "{name}" whose envelopes expire after {days:d} days'))
def organisation_with_a_policy(desk: PolicyDesk, run, slug: str, name: str, days: int) -> None:
    async def make() -> None:
        tenants = desk.platform.tenants
        await tenants.create(slug)
        desk.admin = await tenants.authenticate((await tenants.create_api_key(slug, AccessRole.ADMIN)).key)
        desk.sender = await tenants.authenticate((await tenants.create_api_key(slug, AccessRole.SENDER)).key)
        desk.policies[name] = (await desk.platform.policies.create(desk.admin, name=name, expiry_days=days)).id

    run(make())


@given(parsers.parse('the policy "{name}" lets every recipient sign at once'))
def policy_in_parallel(desk: PolicyDesk, run, name: str) -> None:
    run(desk.platform.policies.revise(desk.admin, desk.policies[name], routing_default=Routing.PARALLEL))


@given(parsers.parse('a sender has sent "{subject}" under the policy "{name}"'))
def sent_under_policy(desk: PolicyDesk, run, subject: str, name: str) -> None:
    async def send() -> None:
        await desk.draft(subject, name)
        await desk.send(subject)

    run(send())


@given(parsers.parse('a sender has drafted "{subject}" without choosing a policy'))
def drafted_without_policy(desk: PolicyDesk, run, subject: str) -> None:
    run(desk.draft(subject, None))


@when(parsers.parse('a sender drafts "{subject}" under the policy "{name}"'))
def draft_under_policy(desk: PolicyDesk, run, subject: str, name: str) -> None:
    run(desk.draft(subject, name))


@when(parsers.parse('the admin changes the policy "{name}" so that its envelopes expire after {days:d} days'))
def change_expiry(desk: PolicyDesk, run, name: str, days: int) -> None:
    run(desk.platform.policies.revise(desk.admin, desk.policies[name], expiry_days=days))


@when(parsers.parse('the admin makes "{name}" the default policy'))
def make_default(desk: PolicyDesk, run, name: str) -> None:
    run(desk.platform.policies.set_default(desk.admin, desk.policies[name]))


@when(parsers.parse('the sender sends "{subject}"'))
def sender_sends(desk: PolicyDesk, run, subject: str) -> None:
    run(desk.send(subject))


@when(parsers.parse('a sender tries to change the policy "{name}"'))
def sender_tries_to_change(desk: PolicyDesk, run, name: str) -> None:
    try:
        run(desk.platform.policies.revise(desk.sender, desk.policies[name], expiry_days=1))
    except Forbidden as refused:
        desk.refusal = refused


@then(parsers.parse('the policy "{name}" is at its {ordinal} version'))
@then(parsers.parse('the policy "{name}" is still at its {ordinal} version'))
def policy_at_version(desk: PolicyDesk, run, name: str, ordinal: str) -> None:
    assert run(desk.policy_version(name)) == ORDINALS[ordinal]


@then(parsers.parse('"{subject}" still expires {days:d} days after it was sent'))
@then(parsers.parse('"{subject}" expires {days:d} days after it was sent'))
def expires_after(desk: PolicyDesk, subject: str, days: int) -> None:
    assert expiry_days(desk.envelope(subject)) == days


@then(parsers.parse('an envelope sent under the policy "{name}" now expires {days:d} days after it is sent'))
def new_envelope_expires_after(desk: PolicyDesk, run, name: str, days: int) -> None:
    async def send() -> Envelope:
        await desk.draft("Another", name)
        return await desk.send("Another")

    assert expiry_days(run(send())) == days


@then(parsers.parse('every recipient of "{subject}" may sign at once'))
def signs_at_once(desk: PolicyDesk, subject: str) -> None:
    assert desk.envelope(subject).routing is Routing.PARALLEL


@then(parsers.parse('once sent, "{subject}" expires {days:d} days after it was sent'))
def once_sent_expires(desk: PolicyDesk, run, subject: str, days: int) -> None:
    assert expiry_days(run(desk.send(subject))) == days


@then("the organisation's audit log shows that the admin changed the default policy")
def audit_log_shows_default(desk: PolicyDesk) -> None:
    entries = desk.platform.db.tenant_audit[desk.admin.tenant_id]
    changed = [e for e in entries if e.type == "DefaultPolicyChanged"]
    assert [(e.actor, e.data["policy_id"]) for e in changed] == [(desk.admin.actor, desk.policies["Quick"])]


@then("the sender is refused")
def sender_refused(desk: PolicyDesk) -> None:
    assert isinstance(desk.refusal, Forbidden)
