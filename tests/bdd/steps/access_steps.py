"""Steps for roles and API keys (features/api_keys_and_roles.feature), on the in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from tests.fakes.platform import FakePlatform
from undersign.application.access.api_keys import IssueApiKey
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.shared.errors import Forbidden, Unauthenticated
from undersign.domain.tenant import AccessRole


@dataclass
class Keyring:
    platform: FakePlatform = field(default_factory=FakePlatform)
    keys: dict[str, str] = field(default_factory=dict)  # by role name or by what a key is for
    envelope_id: str = ""
    refused: Exception | None = None
    first_revocation: datetime | None = None

    async def caller(self, name: str) -> Caller:
        return await self.platform.tenants.authenticate(self.keys[name])

    def key_id(self, name: str) -> str:
        return self.keys[name].split("_")[1]


@pytest.fixture
def keyring() -> Keyring:
    return Keyring()


@given(parsers.parse(
    'the organisation "{slug}" has an owner key, an admin key, a sender key, a viewer key and an auditor key'
))
def organisation_with_a_key_of_every_role(keyring: Keyring, run, slug: str) -> None:
    run(keyring.platform.tenants.create(slug))
    for role in AccessRole:
        keyring.keys[role.value] = run(keyring.platform.tenants.create_api_key(slug, role)).key


@given("the sender has drafted an envelope")
def sender_drafted_an_envelope(keyring: Keyring, run) -> None:
    async def draft() -> str:
        command = CreateEnvelope(caller=await keyring.caller("sender"), subject="Lease")
        return (await keyring.platform.create_envelope(command)).id

    keyring.envelope_id = run(draft())


ACTS = {
    "create an envelope": lambda k, c: k.platform.create_envelope(CreateEnvelope(caller=c, subject="Quote")),
    "read the envelope": lambda k, c: k.platform.envelope_queries.get(c, k.envelope_id),
    "read the envelope's audit trail": lambda k, c: k.platform.envelope_queries.audit_trail(c, k.envelope_id),
    "make an API key": lambda k, c: k.platform.api_keys.issue(IssueApiKey(caller=c, role=AccessRole.VIEWER)),
    "make an owner key": lambda k, c: k.platform.api_keys.issue(IssueApiKey(caller=c, role=AccessRole.OWNER)),
    "revoke the owner key": lambda k, c: k.platform.api_keys.revoke(c, k.key_id("owner")),
    "manage webhooks": lambda k, c: k.platform.webhooks.list(c),
    "read the organisation's audit log": lambda k, c: k.platform.tenant_audit.page(c, limit=10),
}


@when(parsers.parse("the {role} key tries to {act}"))
def key_tries(keyring: Keyring, run, role: str, act: str) -> None:
    async def attempt() -> None:
        await ACTS[act](keyring, await keyring.caller(role))

    try:
        run(attempt())
        keyring.refused = None
    except Forbidden as refusal:
        keyring.refused = refusal


@then(parsers.parse("the {role} key is allowed"))
def key_is_allowed(keyring: Keyring) -> None:
    assert keyring.refused is None, keyring.refused


@then(parsers.parse("the {role} key is refused"))
def key_is_refused(keyring: Keyring) -> None:
    assert isinstance(keyring.refused, Forbidden)


@given(parsers.parse('the admin has made a {role} key for "{purpose}" that expires in {days:d} days'))
def admin_made_an_expiring_key(keyring: Keyring, run, role: str, purpose: str, days: int) -> None:
    expires_at = keyring.platform.clock.now() + timedelta(days=days)
    make_key(keyring, run, "admin", role, purpose, expires_at)


@given(parsers.parse('the admin has made a {role} key for "{purpose}"'))
def admin_made_a_key(keyring: Keyring, run, role: str, purpose: str) -> None:
    make_key(keyring, run, "admin", role, purpose)


@when(parsers.parse('the owner makes an owner key for "{purpose}"'))
def owner_makes_an_owner_key(keyring: Keyring, run, purpose: str) -> None:
    make_key(keyring, run, "owner", "owner", purpose)


def make_key(keyring: Keyring, run, maker: str, role: str, purpose: str, expires_at: datetime | None = None) -> None:
    async def issue() -> str:
        command = IssueApiKey(
            caller=await keyring.caller(maker), role=AccessRole(role), expires_at=expires_at, description=purpose
        )
        return (await keyring.platform.api_keys.issue(command)).key

    keyring.keys[purpose] = run(issue())


@given(parsers.parse('the "{name}" key works'))
@then(parsers.parse('the "{name}" key works'))
def key_works(keyring: Keyring, run, name: str) -> None:
    run(keyring.caller(name))


@when(parsers.parse('the admin revokes the "{name}" key again'))
def admin_revokes_again(keyring: Keyring, run, name: str) -> None:
    keyring.platform.clock.advance(timedelta(hours=1))
    admin_revokes(keyring, run, name)


@when(parsers.parse('the admin revokes the "{name}" key'))
def admin_revokes(keyring: Keyring, run, name: str) -> None:
    async def revoke() -> datetime | None:
        return (await keyring.platform.api_keys.revoke(await keyring.caller("admin"), keyring.key_id(name))).revoked_at

    revoked_at = run(revoke())
    keyring.first_revocation = keyring.first_revocation or revoked_at
    keyring.refused = None if revoked_at == keyring.first_revocation else AssertionError(revoked_at)


@then("it is still revoked since the first time")
def still_revoked_since_the_first_time(keyring: Keyring) -> None:
    assert keyring.first_revocation is not None and keyring.refused is None


@then(parsers.parse('the "{name}" key is refused because {reason}'))
def key_is_refused_because(keyring: Keyring, run, name: str, reason: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        run(keyring.caller(name))
    assert refused.value.detail == f"the API key {reason.removeprefix('it ')}"


# Not "days pass": the expiry and reminder features' step moves another platform's clock.
@when(parsers.parse("{days:d} days go by"))
@when(parsers.parse("{days:d} more day goes by"))
def days_pass(keyring: Keyring, days: int) -> None:
    keyring.platform.clock.advance(timedelta(days=days))


# -- the organisation's audit log -----------------------------------------------------------


def audit_log(keyring: Keyring, run, reader: str = "auditor") -> list:
    async def read() -> list:
        return (await keyring.platform.tenant_audit.page(await keyring.caller(reader), limit=100)).items

    return run(read())


@then(parsers.parse(
    'the auditor reads in the audit log that the admin made the "{name}" key, then revoked it, once'
))
def audit_log_records_made_and_revoked(keyring: Keyring, run, name: str) -> None:
    about_the_key = [e for e in audit_log(keyring, run) if e.data["key_id"] == keyring.key_id(name)]
    admin = f"api_key:{keyring.key_id('admin')}"
    assert [(e.type, e.actor) for e in about_the_key] == [("ApiKeyCreated", admin), ("ApiKeyRevoked", admin)]


@then("the audit log shows the key's role and description, and never its secret")
def audit_log_shows_role_and_description_only(keyring: Keyring, run) -> None:
    entries = audit_log(keyring, run)
    made = next(e for e in entries if e.type == "ApiKeyCreated" and e.data["description"] == "CRM sync")
    assert made.data["role"] == "sender"
    for key in keyring.keys.values():
        assert key.split("_", 2)[2] not in str([(e.actor, e.data) for e in entries])


@then("the auditor finds the audit log's chain unbroken")
def audit_log_chain_unbroken(keyring: Keyring, run) -> None:
    async def verify() -> bool:
        return (await keyring.platform.tenant_audit.verify(await keyring.caller("auditor"))).chain_valid

    assert run(verify())
