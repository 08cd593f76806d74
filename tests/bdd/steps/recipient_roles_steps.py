"""Steps for approvers and recipients who receive a copy (use cases on fakes)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.lifecycle_steps import World, add_recipient, envelope, sign_as
from undersign.domain.signer import Role, SignerStatus

ACTS = ("SignerSigned", "SignerApproved", "SignerDeclined")


@given(parsers.parse('"{name}" is an approver in routing order {order:d}'))
def an_approver(world: World, run, name: str, order: int) -> None:
    add_recipient(world, run, name, Role.APPROVER, order)


@when(parsers.parse('"{name}" approves'))
def approves(world: World, run, name: str) -> None:
    run(sign_as(world, name))  # an approver acts through the same ceremony as a signer


@then(parsers.parse('"{approver}" is recorded as having approved, and "{signer}" as having signed'))
def recorded_statuses(world: World, run, approver: str, signer: str) -> None:
    found = run(envelope(world))
    assert found.signer(world.signers[approver]).status is SignerStatus.APPROVED
    assert found.signer(world.signers[signer]).status is SignerStatus.SIGNED


@then(parsers.parse(
    'the audit trail records an approval by "{approver}" and a signature by "{signer}", and no other act'
))
def acts_recorded(world: World, run, approver: str, signer: str) -> None:
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    acts = [(e.type, e.data["signer_id"]) for e in trail.entries if e.type in ACTS]
    assert acts == [("SignerApproved", world.signers[approver]), ("SignerSigned", world.signers[signer])], acts
    assert trail.chain_valid
