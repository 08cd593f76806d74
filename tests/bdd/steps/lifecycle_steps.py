"""Steps that drive the use cases on in-memory fakes: the product's rules, fast."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.http_steps import envelope_status_over_api
from tests.fakes.platform import FakePlatform
from tests.unit.flows import as_it_stands
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink
from undersign.application.envelopes.void import VoidEnvelope
from undersign.application.signing.decline import Decline
from undersign.application.signing.sign import Sign
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.errors import DomainError
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing
from undersign.domain.signer import Role, SignerStatus
from undersign.domain.tenant import AccessRole

TWO_PAGES = b"%PDF-1.7 pages=2"


@dataclass
class World:
    platform: FakePlatform = field(default_factory=FakePlatform)
    caller: Caller | None = None
    envelope_id: str = ""
    document_id: str = ""
    signers: dict[str, str] = field(default_factory=dict)
    error: DomainError | None = None
    tokens: dict[str, str] = field(default_factory=dict)  # the link each recipient last acted through
    answer: Any = None  # what the last retried act was answered with
    api: Any = None  # set by the steps that drive the HTTP API
    webhook: Any = None  # the tenant's webhook endpoint, once registered


@pytest.fixture
def run():
    """pytest-bdd steps are synchronous: each scenario runs its async work on a loop of its own."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture
def world() -> World:
    return World()


def attempt(world: World, run, coroutine) -> None:
    try:
        run(coroutine)
        world.error = None
    except DomainError as error:
        world.error = error


async def envelope(world: World):
    found, _ = await world.platform.envelope_queries.get(world.caller, world.envelope_id)
    return found


async def token_for(world: World, name: str) -> str:
    link = CreateSigningLink(caller=world.caller, envelope_id=world.envelope_id, signer_id=world.signers[name])
    return (await world.platform.create_signing_link(link)).token


async def sign_as(world: World, name: str, signature: str | None = None, *, again: bool = False):
    """`name` signs through a new link, or `again` through the one they last acted through (a retry)."""
    token = world.tokens[name] if again else await token_for(world, name)
    world.tokens[name] = token
    command = Sign(token=token, field_values={}, signature_text=signature or name, consent=True)
    return await world.platform.sign(command)


async def decline_as(world: World, name: str, reason: str, *, again: bool = False):
    token = world.tokens[name] if again else await token_for(world, name)
    world.tokens[name] = token
    return await world.platform.decline(Decline(token=token, reason=reason))


# -- given ------------------------------------------------------------------------------


@given(parsers.parse('a tenant "{slug}" with an API key'))
def tenant_with_key(world: World, run, slug: str) -> None:
    async def setup() -> Caller:
        await world.platform.tenants.create(slug)
        issued = await world.platform.tenants.create_api_key(slug, AccessRole.ADMIN)
        return await world.platform.tenants.authenticate(issued.key)

    world.caller = run(setup())


def create_draft(world: World, run, subject: str, *, with_document: bool) -> None:
    world.signers.clear()
    created = run(world.platform.create_envelope(CreateEnvelope(caller=world.caller, subject=subject, routing=Routing.SEQUENTIAL)))
    world.envelope_id = created.id
    if with_document:
        upload = AddDocument(caller=world.caller, envelope_id=created.id, filename="contract.pdf", content=TWO_PAGES)
        world.document_id = run(world.platform.add_document(upload)).id


@given(parsers.parse('a draft envelope "{subject}" with a two-page document'))
def draft_with_document(world: World, run, subject: str) -> None:
    create_draft(world, run, subject, with_document=True)


@given(parsers.parse('a draft envelope "{subject}" with no document'))
def draft_without_document(world: World, run, subject: str) -> None:
    create_draft(world, run, subject, with_document=False)


def add_recipient(world: World, run, name: str, role: Role, order: int | None = None) -> None:
    command = AddSigner(
        caller=world.caller, envelope_id=world.envelope_id, name=name,
        email=f"{name.lower().replace(' ', '.')}@example.com", role=role, routing_order=order,
    )
    world.signers[name] = run(world.platform.add_signer(command)).id


def place(world: World, run, name: str, kind: FieldKind, page: int) -> None:
    command = PlaceField(
        caller=world.caller, envelope_id=world.envelope_id, document_id=world.document_id,
        signer_id=world.signers[name], kind=kind,
        placement=Placement(page=page, x=72, y=600, width=180, height=40), required=False,
    )
    run(world.platform.place_field(command))


@given(parsers.parse('"{name}" is a signer'))
def a_signer(world: World, run, name: str) -> None:
    add_recipient(world, run, name, Role.SIGNER)


@given(parsers.parse('"{name}" is a signer in routing order {order:d}'))
def a_signer_in_order(world: World, run, name: str, order: int) -> None:
    add_recipient(world, run, name, Role.SIGNER, order)


@given(parsers.parse('"{name}" is a signer with a signature field on page {page:d}'))
def a_signer_with_field(world: World, run, name: str, page: int) -> None:
    add_recipient(world, run, name, Role.SIGNER)
    place(world, run, name, FieldKind.SIGNATURE, page)


@given(parsers.parse('"{name}" receives a copy'))
def a_carbon_copy(world: World, run, name: str) -> None:
    add_recipient(world, run, name, Role.CC)


@given(parsers.parse("{count:d} signers share routing order 1"))
def parallel_signers(world: World, run, count: int) -> None:
    for n in range(1, count + 1):
        add_recipient(world, run, f"Signer {n}", Role.SIGNER, 1)


# -- when -------------------------------------------------------------------------------


@given("the sender sends the envelope")
@when("the sender sends the envelope")
def send(world: World, run) -> None:
    run(world.platform.send_envelope(SendEnvelope(caller=world.caller, envelope_id=world.envelope_id)))


@when("the sender tries to send the envelope")
def try_send(world: World, run) -> None:
    attempt(world, run, world.platform.send_envelope(SendEnvelope(caller=world.caller, envelope_id=world.envelope_id)))


@given(parsers.parse('"{name}" signs'))
@when(parsers.parse('"{name}" signs'))
def signs(world: World, run, name: str) -> None:
    run(sign_as(world, name))


@when(parsers.parse('"{name}" tries to sign'))
def tries_to_sign(world: World, run, name: str) -> None:
    attempt(world, run, sign_as(world, name, again=name in world.tokens))


@when(parsers.parse('"{name}" signs again, her answer having been lost'))
def signs_again(world: World, run, name: str) -> None:
    world.answer = run(sign_as(world, name, again=True))


@when(parsers.parse('"{name}" tries to sign with another signature'))
def tries_another_signature(world: World, run, name: str) -> None:
    attempt(world, run, sign_as(world, name, f"Not {name}", again=True))


@when(parsers.parse("all {count:d} signers sign at the same moment"))
def all_sign_at_once(world: World, run, count: int) -> None:
    async def everyone() -> None:
        await asyncio.gather(*(sign_as(world, name) for name in world.signers))

    run(everyone())


@when(parsers.parse('"{name}" declines because "{reason}"'))
def declines(world: World, run, name: str, reason: str) -> None:
    run(decline_as(world, name, reason))


@when(parsers.parse('"{name}" declines again because "{reason}", her answer having been lost'))
def declines_again(world: World, run, name: str, reason: str) -> None:
    world.answer = run(decline_as(world, name, reason, again=True))


@when(parsers.parse('"{name}" tries to decline because "{reason}"'))
def tries_to_decline(world: World, run, name: str, reason: str) -> None:
    attempt(world, run, decline_as(world, name, reason, again=name in world.tokens))


@when(parsers.parse('"{name}" tries to decline without a reason'))
def declines_without_reason(world: World, run, name: str) -> None:
    async def decline() -> None:
        await world.platform.decline(Decline(token=await token_for(world, name), reason=""))

    attempt(world, run, decline())


@when(parsers.parse('the sender voids the envelope because "{reason}"'))
def voids(world: World, run, reason: str) -> None:
    run(world.platform.void_envelope(VoidEnvelope(caller=world.caller, envelope_id=world.envelope_id, reason=reason)))


@when(parsers.parse('the sender tries to void the envelope because "{reason}"'))
def tries_to_void(world: World, run, reason: str) -> None:
    attempt(world, run, world.platform.void_envelope(VoidEnvelope(caller=world.caller, envelope_id=world.envelope_id, reason=reason)))


@when(parsers.parse('the sender tries to add "{name}" as a signer'))
def tries_to_add_signer(world: World, run, name: str) -> None:
    command = AddSigner(caller=world.caller, envelope_id=world.envelope_id, name=name, email=f"{name.lower()}@example.com")
    attempt(world, run, world.platform.add_signer(command))


@when("the sender tries to add another document")
def tries_to_add_document(world: World, run) -> None:
    command = AddDocument(caller=world.caller, envelope_id=world.envelope_id, filename="annex.pdf", content=TWO_PAGES)
    attempt(world, run, world.platform.add_document(command))


@when(parsers.parse('the sender tries to place a text field for "{name}" on page {page:d}'))
def tries_to_place_field(world: World, run, name: str, page: int) -> None:
    command = PlaceField(
        caller=world.caller, envelope_id=world.envelope_id, document_id=world.document_id,
        signer_id=world.signers[name], kind=FieldKind.TEXT,
        placement=Placement(page=page, x=72, y=500, width=100, height=20),
    )
    attempt(world, run, world.platform.place_field(command))


@when("someone changes the recorded signing time in the stored audit trail")
def tamper_with_event(world: World) -> None:
    stored = world.platform.db.audit[world.envelope_id]
    index = next(i for i, e in enumerate(stored) if e.type == "SignerSigned")
    stored[index] = replace(stored[index], at=stored[index].at.replace(year=2020))


@when("someone deletes an event from the stored audit trail")
def delete_event(world: World) -> None:
    del world.platform.db.audit[world.envelope_id][1]


# -- then -------------------------------------------------------------------------------


@then(parsers.parse("the envelope is {status}"))
def envelope_status(world: World, run, status: str) -> None:
    expected = EnvelopeStatus.DRAFT if status == "still a draft" else EnvelopeStatus(status)
    if world.api is not None:
        assert envelope_status_over_api(world.api) == expected.value
        return
    assert run(envelope(world)).status is expected


@then(parsers.parse('"{name}" is notified'))
def is_notified(world: World, run, name: str) -> None:
    found = run(envelope(world))
    assert found.signer(world.signers[name]).status is SignerStatus.NOTIFIED
    # Told, not only marked: their invitation went out (the background work sends it).
    run(world.platform.run_background())
    address = found.signer(world.signers[name]).email
    invitations = [m for m in world.platform.mailer.sent if m.to == address and m.subject == f"Please sign: {found.subject}"]
    assert len(invitations) == 1, [m.subject for m in world.platform.mailer.sent if m.to == address]


@then(parsers.parse('"{name}" is still waiting'))
def is_waiting(world: World, run, name: str) -> None:
    assert run(envelope(world)).signer(world.signers[name]).status is SignerStatus.PENDING


@then(parsers.parse('the sender is told "{words}"'))
@then(parsers.parse('the recipient is told "{words}"'))
def told(world: World, words: str) -> None:
    assert world.error is not None, "the operation was expected to be refused"
    assert words in world.error.detail


@then(parsers.parse('"{name}" is refused because the envelope is {status}'))
def refused_by_status(world: World, name: str, status: str) -> None:
    assert world.error is not None and f"this envelope is {status}" in world.error.detail


@then(parsers.parse('"{name}" is refused because it is not his turn'))
@then(parsers.parse('"{name}" is refused because it is not her turn'))
def refused_out_of_turn(world: World, name: str) -> None:
    assert world.error is not None and world.error.code == "not_your_turn"


@then(parsers.parse('"{name}" is refused because she has already signed'))
@then(parsers.parse('"{name}" is refused because he has already signed'))
def refused_twice(world: World, name: str) -> None:
    assert world.error is not None and world.error.code == "already_signed"


@then(parsers.parse('"{name}" is told she signed, as the first time'))
def told_signed(world: World, run, name: str) -> None:
    signer = world.answer.signer
    envelope, _ = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))
    stored = envelope.signer(world.signers[name])
    assert signer.id == stored.id and signer.status is SignerStatus.SIGNED and signer.acted_at == stored.acted_at


@then(parsers.parse('"{name}" is told she declined, as the first time'))
def told_declined(world: World, run, name: str) -> None:
    assert world.answer.envelope.status is EnvelopeStatus.DECLINED
    assert world.answer.signer.status is SignerStatus.DECLINED and world.answer.signer.id == world.signers[name]
    stored = run(envelope(world)).signer(world.signers[name])  # what the first decline recorded
    answered = world.answer.signer
    assert (answered.acted_at, answered.decline_reason) == (stored.acted_at, stored.decline_reason)
    assert audit_types(world, run).count("SignerDeclined") == 1


@then(parsers.parse('"{name}" has signed the document once'))
def signed_once(world: World, run, name: str) -> None:
    assert [line.split(" [")[0] for line in document_lines(world, run)].count(f"%signed by {name}") == 1
    audit = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    assert [e.type for e in audit.entries].count("SignerSigned") == 1


def document_lines(world: World, run) -> list[str]:
    """The document as it ends up, once the background work (the seal) is done."""
    run(world.platform.run_background())
    _, content = run(as_it_stands(world.platform, world.caller, world.envelope_id, world.document_id))
    return content.decode().splitlines()


@then(parsers.parse('the document carries the signatures of "{first}" and "{second}" and then the platform seal'))
def signed_then_sealed(world: World, run, first: str, second: str) -> None:
    steps = [line for line in document_lines(world, run) if line.startswith(("%signed", "%sealed"))]
    assert [s.split(" [")[0] for s in steps] == [f"%signed by {first}", f"%signed by {second}", "%sealed"]


@then("the document has no signature yet")
def no_signature(world: World, run) -> None:
    document, _ = run(as_it_stands(world.platform, world.caller, world.envelope_id, world.document_id))
    assert RevisionKind.SIGNED not in [r.kind for r in document.revisions]


@then("every signer's signature is in the document exactly once")
def each_signature_once(world: World, run) -> None:
    lines = document_lines(world, run)
    for name in world.signers:
        assert sum(line.startswith(f"%signed by {name} [") for line in lines) == 1, name
    assert lines.count("%sealed") == 1


def audit_types(world: World, run) -> list[str]:
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    return [e.type for e in trail.entries]


@then("the envelope was completed exactly once")
def completed_once(world: World, run) -> None:
    assert audit_types(world, run).count("EnvelopeCompleted") == 1


@then(parsers.parse('the audit trail records that "{name}" declined because "{reason}"'))
def decline_recorded(world: World, run, name: str, reason: str) -> None:
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    declined = [e for e in trail.entries if e.type == "SignerDeclined"]
    assert [(e.data["signer_id"], e.data["reason"]) for e in declined] == [(world.signers[name], reason)]
    assert trail.chain_valid


@then("the audit trail verifies")
def trail_verifies(world: World, run) -> None:
    assert run(world.platform.envelope_queries.verify_audit_trail(world.envelope_id)).chain_valid


@then("the audit trail no longer verifies")
def trail_broken(world: World, run) -> None:
    assert not run(world.platform.envelope_queries.verify_audit_trail(world.envelope_id)).chain_valid


@then("it records, in order, the creation, the sending, the signature and the completion")
def trail_in_order(world: World, run) -> None:
    milestones = [t for t in audit_types(world, run) if t in {"EnvelopeCreated", "EnvelopeSent", "SignerSigned", "EnvelopeCompleted"}]
    assert milestones == ["EnvelopeCreated", "EnvelopeSent", "SignerSigned", "EnvelopeCompleted"]
