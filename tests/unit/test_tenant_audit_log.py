"""The tenant audit log on the fakes: each key created or revoked is chained into it with the act,
never with a secret; only owners and auditors read it; tampering is detected."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.platform import FakePlatform
from tests.unit.spying import limits_asked
from undersign.application.access.api_keys import IssueApiKey
from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import Forbidden
from undersign.domain.audit import GENESIS_HASH, chain, chain_tenant, verify_chain, verify_tenant_chain
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.events import DomainEvent
from undersign.domain.tenant import AccessRole
from undersign.domain.tenant_events import TENANT_EVENTS, ApiKeyCreated, ApiKeyRevoked

OWNER, ADMIN, SENDER, VIEWER, AUDITOR = (
    AccessRole.OWNER, AccessRole.ADMIN, AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR,
)
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def key_of(platform: FakePlatform, role: AccessRole, tenant: str = "acme") -> tuple[Caller, str]:
    issued = await platform.tenants.create_api_key(tenant, role, created_by="cli:ops")
    return await platform.tenants.authenticate(issued.key), issued.key


@pytest.fixture
async def acme(platform: FakePlatform) -> dict[AccessRole, Caller]:
    await platform.tenants.create("acme")
    return {role: (await key_of(platform, role))[0] for role in (OWNER, ADMIN, AUDITOR, SENDER, VIEWER)}


def log_of(platform: FakePlatform, tenant_slug: str = "acme"):
    return platform.db.tenant_audit[platform.db.tenants[tenant_slug].id]


# -- the domain ---------------------------------------------------------------------------------


def created(n: int, tenant_id: str = "t1") -> ApiKeyCreated:
    return ApiKeyCreated(tenant_id=tenant_id, at=AT + timedelta(seconds=n), actor="cli:ops", key_id=f"k{n}",
                         role="viewer", expires_at=None, description="")


def tenant_chain(count: int = 3):
    result, previous = [], None
    for n in range(count):
        previous = chain_tenant(previous, created(n))
        result.append(previous)
    return result


def test_tenant_entries_chain_like_the_envelopes_and_verify() -> None:
    first, second, third = tenant_chain()
    assert (first.prev_hash, second.prev_hash, third.prev_hash) == (GENESIS_HASH, first.hash, second.hash)
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert verify_tenant_chain([first, second, third])
    assert verify_tenant_chain([third], after=second)
    assert verify_tenant_chain([])


def test_any_change_removal_or_reordering_breaks_a_tenant_chain() -> None:
    first, second, third = tenant_chain()
    assert not verify_tenant_chain([first, replace(second, data={**second.data, "role": "owner"}), third])
    assert not verify_tenant_chain([first, replace(second, actor="cli:someone-else"), third])
    assert not verify_tenant_chain([first, replace(second, tenant_id="t2"), third])
    assert not verify_tenant_chain([first, third])
    assert not verify_tenant_chain([second, first, third])
    assert not verify_tenant_chain([third], after=first)


def test_a_tenant_entry_hashes_the_envelopes_canonical_form_with_the_tenant_in_place_of_the_envelope() -> None:
    """Auditors recompute hashes with their own tools: the same form as an envelope's entry, documented."""
    import hashlib

    (entry,) = tenant_chain(1)
    canonical = json.dumps(
        {"tenant_id": "t1", "seq": 1, "type": "ApiKeyCreated", "at": "2026-03-01T12:00:00+00:00", "actor": "cli:ops",
         "data": {"key_id": "k0", "role": "viewer", "expires_at": None, "description": ""}, "prev_hash": GENESIS_HASH},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()


def test_an_envelope_entry_never_verifies_as_a_tenant_entry() -> None:
    event = DomainEvent(envelope_id="t1", at=AT, actor="cli:ops")
    envelope_entry = chain(None, event)
    assert verify_chain([envelope_entry])
    tenant_entry = chain_tenant(None, replace(created(0), at=AT))
    assert not verify_tenant_chain([replace(tenant_entry, type=envelope_entry.type, data={}, hash=envelope_entry.hash)])


def test_tenant_events_are_types_whose_fields_are_their_data() -> None:
    assert set(TENANT_EVENTS) == {
        "ApiKeyCreated", "ApiKeyRevoked", "UserInvited", "UserRoleChanged", "UserDisabled", "TeamCreated",
        "TeamMemberAdded", "TeamMemberRemoved", "UserSignedIn", "SignInRefused", "SignInPolicyChanged", "SignInFailed",
        "AccountLocked", "LocalPasswordSet", "SecondFactorReset", "PolicyCreated", "PolicyRevised",
        "DefaultPolicyChanged", "StoredDocumentCorrupted",
    }
    revoked = ApiKeyRevoked(tenant_id="t1", at=AT, actor="api_key:k9", key_id="k1")
    assert (revoked.type, revoked.data) == ("ApiKeyRevoked", {"key_id": "k1"})


# -- appended with the act ----------------------------------------------------------------------


async def test_creating_a_key_through_the_api_records_who_made_it_and_what_it_is(platform, acme) -> None:
    before = len(log_of(platform))
    platform.clock.advance(timedelta(minutes=5))
    expires = platform.clock.now() + timedelta(days=30)
    issued = await platform.api_keys.issue(
        IssueApiKey(caller=acme[ADMIN], role=SENDER, expires_at=expires, description="Billing  service")
    )
    entries = log_of(platform)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert (entry.type, entry.actor, entry.at) == ("ApiKeyCreated", acme[ADMIN].actor, platform.clock.now())
    assert entry.data == {"key_id": issued.api_key.id, "role": "sender", "expires_at": expires.isoformat(),
                          "description": issued.api_key.description}


async def test_an_operators_key_is_recorded_with_the_operator_and_one_whose_operator_is_unknown_as_cli(
    platform, acme
) -> None:
    assert log_of(platform)[0].actor == "cli:ops"
    await platform.tenants.create_api_key("acme", VIEWER)
    assert log_of(platform)[-1].actor == "cli"


async def test_revoking_records_the_act_once_and_a_revoke_that_changes_nothing_records_nothing(platform, acme) -> None:
    target = (await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))).api_key
    count = len(log_of(platform))
    await platform.api_keys.revoke(acme[ADMIN], target.id)
    entry = log_of(platform)[-1]
    assert (entry.type, entry.actor, entry.data) == ("ApiKeyRevoked", acme[ADMIN].actor, {"key_id": target.id})
    await platform.api_keys.revoke(acme[OWNER], target.id)
    _, made = await platform.api_keys.revoke_any(target.id, revoked_by="cli:ops")
    assert not made
    assert len(log_of(platform)) == count + 1


async def test_an_operators_revocation_is_recorded_in_the_keys_tenant(platform, acme) -> None:
    await platform.api_keys.revoke_any(acme[VIEWER].credential_id, revoked_by="cli:ops")
    entry = log_of(platform)[-1]
    assert (entry.type, entry.actor, entry.data) == ("ApiKeyRevoked", "cli:ops", {"key_id": acme[VIEWER].credential_id})


async def test_a_refused_act_records_nothing(platform, acme) -> None:
    count = len(log_of(platform))
    with pytest.raises(Forbidden):
        await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=OWNER))
    with pytest.raises(Forbidden):
        await platform.api_keys.revoke(acme[ADMIN], acme[OWNER].credential_id)
    assert len(log_of(platform)) == count


async def test_no_secret_ever_lands_in_the_log(platform, acme) -> None:
    _, key = await key_of(platform, VIEWER)
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[OWNER], role=ADMIN))
    await platform.api_keys.revoke(acme[OWNER], issued.api_key.id)
    stored = json.dumps([[e.actor, e.data] for e in log_of(platform)])
    for issued_key, secret_hash in ((key, None), (issued.key, issued.api_key.secret_hash)):
        assert issued_key.split("_")[2] not in stored and issued_key not in stored
        assert secret_hash is None or secret_hash not in stored


async def test_each_tenant_has_a_chain_of_its_own(platform, acme) -> None:
    await platform.tenants.create("globex")
    await key_of(platform, OWNER, "globex")
    assert [e.seq for e in log_of(platform, "globex")] == [1]
    assert log_of(platform, "globex")[0].prev_hash == GENESIS_HASH
    assert verify_tenant_chain(log_of(platform)) and verify_tenant_chain(log_of(platform, "globex"))


# -- reading and verifying ----------------------------------------------------------------------


async def test_owners_and_auditors_read_the_log_a_page_at_a_time_oldest_first(platform, acme) -> None:
    for role in (OWNER, AUDITOR):
        seen, after = [], None
        while True:
            page = await platform.tenant_audit.page(acme[role], limit=2, after=after)
            seen += page.items
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == log_of(platform) and [e.seq for e in seen] == list(range(1, 6))
    with pytest.raises(InvalidInput):
        await platform.tenant_audit.page(acme[OWNER], limit=101)


@pytest.mark.parametrize("role", [ADMIN, SENDER, VIEWER])
async def test_no_other_role_reads_or_verifies_the_log(platform, acme, role) -> None:
    with pytest.raises(Forbidden, match="audit-log:read"):
        await platform.tenant_audit.page(acme[role], limit=10)
    with pytest.raises(Forbidden):
        await platform.tenant_audit.verify(acme[role])


async def test_another_tenants_entries_are_never_shown(platform, acme) -> None:
    await platform.tenants.create("globex")
    globex_owner, _ = await key_of(platform, OWNER, "globex")
    page = await platform.tenant_audit.page(globex_owner, limit=100)
    assert [e.tenant_id for e in page.items] == [globex_owner.tenant_id]
    assert all(e.data["key_id"] != acme[OWNER].credential_id for e in page.items)


async def test_the_chain_verifies_and_tampering_is_detected(platform, acme, monkeypatch) -> None:
    import undersign.application.access.audit_log as audit_log

    monkeypatch.setattr(audit_log, "VERIFY_BATCH", 2)  # the links between batches are checked too
    verdict = await platform.tenant_audit.verify(acme[AUDITOR])
    assert (verdict.chain_valid, verdict.entries, verdict.last_hash) == (True, 5, log_of(platform)[-1].hash)
    assert (await platform.tenant_audit.verify_for_tenant("acme")) == verdict

    entries = log_of(platform)
    entries[2] = replace(entries[2], data={**entries[2].data, "role": "owner"})
    assert not (await platform.tenant_audit.verify(acme[OWNER])).chain_valid
    entries[2] = replace(entries[2], data={**entries[2].data, "role": "auditor"})
    assert (await platform.tenant_audit.verify(acme[OWNER])).chain_valid
    del entries[3]
    assert not (await platform.tenant_audit.verify_for_tenant("acme")).chain_valid


async def test_an_empty_log_verifies_and_an_unknown_tenant_is_not_found(platform) -> None:
    await platform.tenants.create("quiet")
    verdict = await platform.tenant_audit.verify_for_tenant("quiet")
    assert (verdict.chain_valid, verdict.entries, verdict.last_hash) == (True, 0, None)
    with pytest.raises(NotFound):
        await platform.tenant_audit.verify_for_tenant("nobody")


async def test_two_acts_appended_after_the_same_entry_cannot_both_be_stored(platform, acme) -> None:
    from undersign.domain.errors import ConcurrencyConflict

    tenant_id = acme[OWNER].tenant_id
    first, second = platform.unit_of_work(), platform.unit_of_work()
    async with first, second:
        for uow, n in ((first, 1), (second, 2)):
            previous = await uow.tenant_audit.last(tenant_id)
            await uow.tenant_audit.append(chain_tenant(previous, created(n, tenant_id)))
        await first.commit()
        with pytest.raises(ConcurrencyConflict):
            await second.commit()
    assert verify_tenant_chain(log_of(platform))


# -- pages, verdicts, and the sign-in policy's acts ---------------------------------------------


async def test_a_page_of_one_a_cursor_of_zero_and_a_full_last_page(platform, acme) -> None:
    log = log_of(platform)  # five keys created
    one = await platform.tenant_audit.page(acme[OWNER], limit=1)
    assert one.items == log[:1] and one.next_cursor == 1
    three = await platform.tenant_audit.page(acme[OWNER], limit=3, after=0)
    assert three.items == log[:3] and three.next_cursor == 3
    exactly = await platform.tenant_audit.page(acme[OWNER], limit=5)
    assert exactly.items == log and exactly.next_cursor is None
    with pytest.raises(InvalidInput, match="limit must be between 1 and 100"):
        await platform.tenant_audit.page(acme[OWNER], limit=0)
    with pytest.raises(InvalidInput, match="cursor is not one this API returned"):
        await platform.tenant_audit.page(acme[OWNER], limit=1, after=-1)


async def test_a_broken_chain_is_reported_with_how_many_entries_were_read(platform, acme) -> None:
    entries = log_of(platform)
    entries[2] = replace(entries[2], data={**entries[2].data, "role": "owner"})
    verdict = await platform.tenant_audit.verify(acme[OWNER])
    assert (verdict.chain_valid, verdict.entries, verdict.last_hash) == (False, 5, None)
    with pytest.raises(NotFound, match="no tenant 'nobody'"):
        await platform.tenant_audit.verify_for_tenant("nobody")


async def test_the_sign_in_policy_changes_what_is_given_keeps_the_rest_and_logs_the_result(platform, acme) -> None:
    def last():
        entry = log_of(platform)[-1]
        return entry.type, entry.actor, entry.data

    mfa = await platform.tenants.set_sign_in_policy("acme", require_mfa=True, actor="cli:ops")
    assert (mfa.just_in_time_users, mfa.require_mfa) == (False, True)
    assert last() == ("SignInPolicyChanged", "cli:ops", {"just_in_time_users": False, "require_mfa": True})
    both = await platform.tenants.set_sign_in_policy("acme", just_in_time_users=True, actor="cli:root")
    assert (both.just_in_time_users, both.require_mfa) == (True, True)
    assert last() == ("SignInPolicyChanged", "cli:root", {"just_in_time_users": True, "require_mfa": True})
    stored = platform.db.tenants["acme"]
    assert (stored.just_in_time_users, stored.require_mfa) == (True, True)
    with pytest.raises(NotFound, match="no tenant 'nobody'"):
        await platform.tenants.set_sign_in_policy("nobody", require_mfa=True, actor="cli:ops")


async def test_an_operators_act_in_an_unknown_tenant_is_not_found_by_its_name(platform, acme) -> None:
    with pytest.raises(NotFound, match="no tenant 'initech'"):
        await platform.users.users_of_tenant("initech")


async def test_reads_of_the_log_ask_the_store_for_a_bounded_number_of_entries(platform, acme, monkeypatch) -> None:
    import undersign.application.access.audit_log as audit_log
    from tests.fakes.access import FakeTenantAuditLog

    asked = limits_asked(monkeypatch, FakeTenantAuditLog, "entries")
    monkeypatch.setattr(audit_log, "VERIFY_BATCH", 4)
    await platform.tenant_audit.page(acme[OWNER], limit=2)
    assert (await platform.tenant_audit.verify(acme[OWNER])).entries == 5
    assert asked == [3, 4, 4, 4]  # a page: one more than it shows; verifying: a batch at a time, to an empty one
