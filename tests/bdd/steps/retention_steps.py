"""Steps for retention and legal hold (features/retention.feature), on the fake platform."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.background_steps import settle
from tests.bdd.steps.lifecycle_steps import World, attempt, envelope, tenant_with_key
from undersign.application.retention.legal_holds import ReleaseLegalHold, SetLegalHold
from undersign.application.shared.errors import Forbidden
from undersign.domain.document import DocumentStatus
from undersign.domain.retention import ContentPurged
from undersign.domain.tenant import AccessRole


@given(parsers.parse('a tenant "{slug}" whose policy keeps documents for {days:d} days'))
def tenant_with_retention(world: World, run, slug: str, days: int) -> None:
    tenant_with_key(world, run, slug)
    policies = world.platform.db.policies
    policies[world.caller.tenant_id] = replace(policies[world.caller.tenant_id], retention_days=days)


@given(parsers.parse("the retention run runs {days:d} days after the envelope was completed"))
@when(parsers.parse("the retention run runs {days:d} days after the envelope was completed"))
def retention_run(world: World, run, days: int) -> None:
    settle(world, run)  # the seal and the certificate of completion, first
    completed_at = run(envelope(world)).completed_at
    assert completed_at is not None
    world.platform.clock.current = max(world.platform.clock.current, completed_at + timedelta(days=days))
    run(world.platform.retention.run())
    settle(world, run)


@given(parsers.parse('an administrator puts the envelope on legal hold because "{reason}"'))
@when(parsers.parse('an administrator puts the envelope on legal hold because "{reason}"'))
def put_on_hold(world: World, run, reason: str) -> None:
    run(world.platform.legal_holds.set(SetLegalHold(caller=world.caller, envelope_id=world.envelope_id, reason=reason)))


@when(parsers.parse('the administrator releases the hold because "{reason}"'))
def release_hold(world: World, run, reason: str) -> None:
    command = ReleaseLegalHold(caller=world.caller, envelope_id=world.envelope_id, reason=reason)
    run(world.platform.legal_holds.release(command))


@when(parsers.parse('a sender tries to put the envelope on legal hold because "{reason}"'))
def sender_tries_to_hold(world: World, run, reason: str) -> None:
    async def as_sender() -> None:
        issued = await world.platform.tenants.create_api_key("acme", AccessRole.SENDER)
        sender = await world.platform.tenants.authenticate(issued.key)
        await world.platform.legal_holds.set(SetLegalHold(caller=sender, envelope_id=world.envelope_id, reason=reason))

    attempt(world, run, as_sender())


def _download(world: World, run) -> None:
    async def every_document() -> None:
        _, documents = await world.platform.envelope_queries.get(world.caller, world.envelope_id)
        for document in documents:
            await world.platform.envelope_queries.document_content(world.caller, world.envelope_id, document.id)

    attempt(world, run, every_document())


@then("the documents can still be downloaded")
def still_downloadable(world: World, run) -> None:
    _download(world, run)
    assert world.error is None, world.error


@then("the documents can no longer be downloaded because they were deleted under the retention policy")
def purged(world: World, run) -> None:
    _download(world, run)
    assert isinstance(world.error, ContentPurged), world.error
    _, documents = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))
    assert documents and all(
        r.blob_key not in world.platform.blob_store.blobs for d in documents for r in d.revisions
    )


@then("the certificate of completion can no longer be downloaded either")
def certificate_purged(world: World, run) -> None:
    attempt(world, run, world.platform.completion_certificates.download(world.caller, world.envelope_id))
    assert isinstance(world.error, ContentPurged), world.error
    stored = run(envelope(world)).completion_certificate
    assert stored is not None and stored.blob_key not in world.platform.blob_store.blobs


@then("the envelope still shows the fingerprint of its sealed document")
def fingerprint_shown(world: World, run) -> None:
    _, (document,) = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    sealed = [e.data["sha256"] for e in trail.entries if e.type == "DocumentSealed"]
    assert document.status is DocumentStatus.PURGED and sealed == [document.current.sha256]


def _audit_types(world: World, run) -> list[str]:
    return [e.type for e in run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id)).entries]


@then("the audit trail records that the documents were deleted")
def audit_records_purge(world: World, run) -> None:
    assert _audit_types(world, run).count("DocumentsPurged") == 1


@then("the audit trail records the hold, its release and the deletion, in that order")
def audit_records_hold_release_purge(world: World, run) -> None:
    types = [t for t in _audit_types(world, run) if t in ("LegalHoldSet", "LegalHoldReleased", "DocumentsPurged")]
    assert types == ["LegalHoldSet", "LegalHoldReleased", "DocumentsPurged"]


@then(parsers.parse('the envelope shows it is on legal hold because "{reason}"'))
def shows_hold(world: World, run, reason: str) -> None:
    hold = run(envelope(world)).legal_hold
    assert hold is not None and hold.reason == reason and hold.by == world.caller.actor


@then("the sender is refused for lack of permission")
def sender_refused(world: World) -> None:
    assert isinstance(world.error, Forbidden), world.error


@then("no legal hold stands on the envelope")
def not_held(world: World, run) -> None:
    assert run(envelope(world)).legal_hold is None
