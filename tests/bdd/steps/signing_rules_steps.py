"""Steps for what a signature needs: a link that still works, consent, required fields (use cases on fakes).

"Nothing is kept" is checked against a snapshot taken before the refused act: the stored
blobs, the audit trail and the documents' revisions are as they were, and the signer has not acted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.lifecycle_steps import World, add_recipient, attempt, envelope, token_for
from undersign.application.envelopes.fields import PlaceField
from undersign.application.signing.sign import Sign
from undersign.domain.envelope import FieldValue
from undersign.domain.field import FieldKind, Placement
from undersign.domain.signer import Role, SignerStatus


@dataclass
class Before:
    """What was stored before an act that should leave nothing behind."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    audit: list[str] = field(default_factory=list)
    revisions: list[list[str]] = field(default_factory=list)
    fields: dict[FieldKind, str] = field(default_factory=dict)  # the signer's required fields, by kind


@pytest.fixture
def before() -> Before:
    return Before()


def snapshot(world: World, run, before: Before) -> None:
    before.blobs = dict(world.platform.blob_store.blobs)
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    before.audit = [e.hash for e in trail.entries]
    before.revisions = revisions(world, run)


def revisions(world: World, run) -> list[list[str]]:
    _, documents = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))
    return [[r.sha256 for r in d.revisions] for d in documents]


def try_to_sign(
    world: World, run, before: Before, name: str, token: str, values: dict[str, FieldValue], *, consent: bool = True
) -> None:
    snapshot(world, run, before)
    command = Sign(token=token, field_values=values, signature_text=name, consent=consent)
    attempt(world, run, world.platform.sign(command))


# -- given ------------------------------------------------------------------------------


@given(parsers.parse('"{name}" is a signer with a required text field and a required tick box'))
def signer_with_required_fields(world: World, run, before: Before, name: str) -> None:
    add_recipient(world, run, name, Role.SIGNER)
    for n, kind in enumerate((FieldKind.TEXT, FieldKind.CHECKBOX, FieldKind.SIGNATURE)):
        command = PlaceField(
            caller=world.caller, envelope_id=world.envelope_id, document_id=world.document_id,
            signer_id=world.signers[name], kind=kind,
            placement=Placement(page=1, x=72, y=600 - 60 * n, width=180, height=40), required=True,
        )
        before.fields[kind] = run(world.platform.place_field(command)).id


@given(parsers.parse('the sender has handed "{name}" a signing link'))
@when(parsers.parse('the sender hands "{name}" a new signing link'))
def hands_link(world: World, run, name: str) -> None:
    world.tokens[name] = run(token_for(world, name))


# -- when -------------------------------------------------------------------------------


@when(parsers.parse('"{name}" tries to sign through that link'))
def tries_through_link(world: World, run, before: Before, name: str) -> None:
    try_to_sign(world, run, before, name, world.tokens[name], {})


@when(parsers.parse('"{name}" signs through that link'))
def signs_through_link(world: World, run, name: str) -> None:
    run(world.platform.sign(Sign(token=world.tokens[name], field_values={}, signature_text=name, consent=True)))


@when(parsers.parse('"{name}" tries to sign without giving her consent'))
def tries_without_consent(world: World, run, before: Before, name: str) -> None:
    try_to_sign(world, run, before, name, run(token_for(world, name)), {}, consent=False)


@when(parsers.parse('"{name}" tries to sign with her required text field left empty'))
def tries_with_empty_text(world: World, run, before: Before, name: str) -> None:
    values = {before.fields[FieldKind.TEXT]: "  ", before.fields[FieldKind.CHECKBOX]: True}
    try_to_sign(world, run, before, name, run(token_for(world, name)), values)


@when(parsers.parse('"{name}" tries to sign with her required tick box left unticked'))
def tries_unticked(world: World, run, before: Before, name: str) -> None:
    values = {before.fields[FieldKind.TEXT]: "Flat 3, 12 Harbour Street", before.fields[FieldKind.CHECKBOX]: False}
    try_to_sign(world, run, before, name, run(token_for(world, name)), values)


@when(parsers.parse('"{name}" signs with her required fields filled in'))
def signs_with_fields(world: World, run, before: Before, name: str) -> None:
    values = {before.fields[FieldKind.TEXT]: "Flat 3, 12 Harbour Street", before.fields[FieldKind.CHECKBOX]: True}
    command = Sign(token=run(token_for(world, name)), field_values=values, signature_text=name, consent=True)
    run(world.platform.sign(command))


# -- then -------------------------------------------------------------------------------


@then(parsers.parse('"{name}" can still open that link'))
def link_opens(world: World, run, name: str) -> None:
    session = run(world.platform.signing_sessions.open(world.tokens[name]))
    assert session.signer.id == world.signers[name] and session.documents and session.can_act


@then(parsers.parse('nothing of a signature by "{name}" is kept'))
def nothing_kept(world: World, run, before: Before, name: str) -> None:
    assert world.error is not None, f"the signature of {name} was expected to be refused"
    signer = run(envelope(world)).signer(world.signers[name])
    assert signer.status in (SignerStatus.NOTIFIED, SignerStatus.VIEWED) and signer.evidence is None, signer
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    assert [e.hash for e in trail.entries] == before.audit, [e.type for e in trail.entries][len(before.audit):]
    assert revisions(world, run) == before.revisions
    assert world.platform.blob_store.blobs == before.blobs
    assert world.platform.blob_store.open_files == set()
