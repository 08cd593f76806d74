"""API keys on the fakes: roles and ranks, expiry, revocation, last use, and the permission table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.platform import FakePlatform
from tests.unit.spying import limits_asked
from undersign.application.access.api_keys import KEY_FRESH_FOR, LAST_USED_INTERVAL, IssueApiKey
from undersign.application.access.permissions import GRANTS, RANK, Caller, Permission, allows
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.shared.errors import Forbidden, Unauthenticated
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.tenant import MAX_KEY_LIFETIME, AccessRole

OWNER, ADMIN, SENDER, VIEWER, AUDITOR = (
    AccessRole.OWNER, AccessRole.ADMIN, AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR,
)


async def key_of(platform: FakePlatform, role: AccessRole, tenant: str = "acme") -> Caller:
    return await platform.tenants.authenticate((await platform.tenants.create_api_key(tenant, role)).key)


@pytest.fixture
async def acme(platform: FakePlatform) -> dict[AccessRole, Caller]:
    await platform.tenants.create("acme")
    return {role: await key_of(platform, role) for role in AccessRole}


# -- the table --------------------------------------------------------------------------------


def test_the_table_gives_every_role_what_the_issue_says() -> None:
    assert GRANTS[OWNER] == frozenset(Permission)
    assert GRANTS[ADMIN] == set(Permission) - {Permission.READ_TENANT_AUDIT}  # who administers does not audit
    assert GRANTS[SENDER] == set(Permission) - {
        Permission.MANAGE_WEBHOOKS, Permission.MANAGE_API_KEYS, Permission.MANAGE_USERS, Permission.READ_TENANT_AUDIT,
        Permission.MANAGE_POLICIES, Permission.MANAGE_LEGAL_HOLDS,
    }
    assert GRANTS[VIEWER] == {
        Permission.READ_ENVELOPES, Permission.READ_EVIDENCE, Permission.VERIFY_DOCUMENTS, Permission.READ_POLICIES,
    }
    assert GRANTS[AUDITOR] == {
        Permission.READ_EVIDENCE, Permission.VERIFY_DOCUMENTS, Permission.READ_TENANT_AUDIT, Permission.READ_POLICIES,
    }
    assert set(GRANTS) == set(RANK) == set(AccessRole)
    assert RANK[OWNER] > RANK[ADMIN] > RANK[SENDER] == RANK[VIEWER] == RANK[AUDITOR]


def test_stored_roles_keep_their_values() -> None:
    assert [AccessRole(v) for v in ("admin", "sender", "viewer")] == [ADMIN, SENDER, VIEWER]


async def test_an_auditor_reads_evidence_and_nothing_of_the_envelopes_themselves(platform, acme) -> None:
    envelope = await platform.create_envelope(CreateEnvelope(caller=acme[SENDER], subject="Lease"))
    trail = await platform.envelope_queries.audit_trail(acme[AUDITOR], envelope.id)
    assert trail.chain_valid and trail.entries
    with pytest.raises(Forbidden, match="an auditor key may not do this"):
        await platform.envelope_queries.get(acme[AUDITOR], envelope.id)
    with pytest.raises(Forbidden):
        await platform.create_envelope(CreateEnvelope(caller=acme[AUDITOR], subject="x"))
    assert not allows(AUDITOR, Permission.READ_ENVELOPES)


# -- issuing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maker", "role", "allowed"),
    [
        (OWNER, OWNER, True), (OWNER, ADMIN, True), (OWNER, AUDITOR, True),
        (ADMIN, OWNER, False), (ADMIN, ADMIN, True), (ADMIN, SENDER, True), (ADMIN, VIEWER, True),
        (ADMIN, AUDITOR, True),
        (SENDER, VIEWER, False), (VIEWER, VIEWER, False), (AUDITOR, AUDITOR, False),
    ],
)
async def test_a_key_makes_keys_of_a_role_at_most_its_own(platform, acme, maker, role, allowed) -> None:
    command = IssueApiKey(caller=acme[maker], role=role)
    if not allowed:
        with pytest.raises(Forbidden):
            await platform.api_keys.issue(command)
        return
    issued = await platform.api_keys.issue(command)
    made = await platform.tenants.authenticate(issued.key)
    assert made.role is role and made.tenant_id == acme[maker].tenant_id
    assert issued.api_key.created_by == f"api_key:{acme[maker].credential_id}"


async def test_only_the_secrets_hash_is_kept(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER, description="  CI  "))
    secret = issued.key.split("_", 2)[2]
    stored = platform.db.api_keys[issued.api_key.id]
    assert secret not in repr(stored) and stored.description == "CI"


@pytest.mark.parametrize(
    ("expires_in", "description", "refusal"),
    [
        (timedelta(0), "", "in the future"),
        (-timedelta(days=1), "", "in the future"),
        (MAX_KEY_LIFETIME + timedelta(seconds=1), "", "3650 days"),
        (None, "x" * 201, "at most 200"),
        (None, "two\nlines", "one line"),
        (None, "\u202eevil", "one line"),
    ],
)
async def test_bad_expiries_and_descriptions_are_refused(platform, acme, expires_in, description, refusal) -> None:
    expires_at = platform.clock.now() + expires_in if expires_in is not None else None
    with pytest.raises(InvalidInput, match=refusal):
        await platform.api_keys.issue(
            IssueApiKey(caller=acme[ADMIN], role=VIEWER, expires_at=expires_at, description=description)
        )
    assert len(platform.db.api_keys) == len(AccessRole)  # nothing stored


async def test_an_expiry_without_an_offset_is_refused(platform, acme) -> None:
    with pytest.raises(InvalidInput, match="UTC offset"):
        await platform.api_keys.issue(
            IssueApiKey(caller=acme[ADMIN], role=VIEWER, expires_at=platform.clock.now().replace(tzinfo=None))
        )


# -- authenticating ---------------------------------------------------------------------------


async def test_an_expired_key_is_refused_from_its_expiry_on(platform, acme) -> None:
    expires_at = platform.clock.now() + timedelta(hours=1)
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=SENDER, expires_at=expires_at))
    platform.clock.advance(timedelta(minutes=59, seconds=59))
    await platform.tenants.authenticate(issued.key)
    platform.clock.advance(timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="the API key has expired"):
        await platform.tenants.authenticate(issued.key)


async def test_a_revoked_key_is_refused_and_revoking_again_keeps_the_first_time(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=SENDER))
    first = await platform.api_keys.revoke(acme[ADMIN], issued.api_key.id)
    platform.clock.advance(timedelta(hours=1))
    again = await platform.api_keys.revoke(acme[OWNER], issued.api_key.id)

    assert first.revoked_at == again.revoked_at is not None
    with pytest.raises(Unauthenticated, match="the API key was revoked"):
        await platform.tenants.authenticate(issued.key)


async def test_state_is_told_only_to_whoever_holds_the_secret(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=SENDER))
    await platform.api_keys.revoke(acme[ADMIN], issued.api_key.id)
    with pytest.raises(Unauthenticated, match="the API key is not valid"):
        await platform.tenants.authenticate(issued.key[:-1] + ("x" if issued.key[-1] != "x" else "y"))


@pytest.mark.parametrize(
    "key", ["usk", "usk__secret", "usk_a-b_secret", "usk_" + "a" * 65 + "_s", "Bearer usk_a_b", "ÿ"]
)
async def test_malformed_keys_are_refused_without_a_lookup(platform, acme, key) -> None:
    with pytest.raises(Unauthenticated, match="malformed|not valid"):
        await platform.tenants.authenticate(key)


async def test_last_use_is_written_at_most_once_a_minute(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    key_id, start = issued.api_key.id, platform.clock.now()
    assert platform.db.api_keys[key_id].last_used_at is None

    await platform.tenants.authenticate(issued.key)
    assert platform.db.api_keys[key_id].last_used_at == start
    platform.clock.advance(LAST_USED_INTERVAL - timedelta(seconds=1))
    await platform.tenants.authenticate(issued.key)
    assert platform.db.api_keys[key_id].last_used_at == start
    platform.clock.advance(timedelta(seconds=1))
    await platform.tenants.authenticate(issued.key)
    assert platform.db.api_keys[key_id].last_used_at == start + LAST_USED_INTERVAL


async def test_another_process_that_just_wrote_the_last_use_spares_this_one_a_write(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    other_process = FakePlatform()  # same database, a use case of its own
    other_process.db, other_process.clock = platform.db, platform.clock
    await other_process.tenants.authenticate(issued.key)
    written = platform.db.api_keys[issued.api_key.id].last_used_at

    platform.clock.advance(timedelta(seconds=30))
    await platform.tenants.authenticate(issued.key)
    assert platform.db.api_keys[issued.api_key.id].last_used_at == written


async def test_a_key_revoked_by_another_process_is_refused_here_once_this_ones_copy_is_a_second_old(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    other_process = FakePlatform()  # same database, a use case (and a copy of the key) of its own
    other_process.db, other_process.clock = platform.db, platform.clock
    await platform.tenants.authenticate(issued.key)

    await other_process.api_keys.revoke(acme[ADMIN], issued.api_key.id)
    platform.clock.advance(KEY_FRESH_FOR - timedelta(microseconds=1))
    assert (await platform.tenants.authenticate(issued.key)).credential_id  # its copy, still fresh
    with pytest.raises(Unauthenticated, match="revoked"):
        await other_process.tenants.authenticate(issued.key)  # the revoking process: at once

    platform.clock.advance(timedelta(microseconds=1))
    with pytest.raises(Unauthenticated, match="revoked"):
        await platform.tenants.authenticate(issued.key)


async def test_a_kept_copy_still_needs_the_right_secret(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    await platform.tenants.authenticate(issued.key)
    key_id = issued.api_key.id

    with pytest.raises(Unauthenticated, match="not valid"):
        await platform.tenants.authenticate(f"usk_{key_id}_not-the-secret")


# -- managing ---------------------------------------------------------------------------------


async def test_only_an_owner_revokes_an_owner_key(platform, acme) -> None:
    owner_key = acme[OWNER].credential_id
    with pytest.raises(Forbidden, match="an admin key may not revoke an owner key"):
        await platform.api_keys.revoke(acme[ADMIN], owner_key)
    assert (await platform.api_keys.revoke(acme[OWNER], owner_key)).revoked_at is not None


async def test_an_admin_revokes_an_admin_key(platform, acme) -> None:
    other = await key_of(platform, ADMIN)
    assert (await platform.api_keys.revoke(acme[ADMIN], other.credential_id)).revoked_at is not None


@pytest.mark.parametrize("role", [SENDER, VIEWER, AUDITOR])
async def test_keys_without_the_permission_manage_no_keys(platform, acme, role) -> None:
    with pytest.raises(Forbidden):
        await platform.api_keys.list(acme[role], limit=10)
    with pytest.raises(Forbidden):
        await platform.api_keys.get(acme[role], acme[role].credential_id)
    with pytest.raises(Forbidden):
        await platform.api_keys.revoke(acme[role], acme[role].credential_id)


async def test_another_tenants_keys_are_not_found(platform, acme) -> None:
    await platform.tenants.create("globex")
    stranger = await key_of(platform, OWNER, "globex")
    with pytest.raises(NotFound):
        await platform.api_keys.get(stranger, acme[VIEWER].credential_id)
    with pytest.raises(NotFound):
        await platform.api_keys.revoke(stranger, acme[VIEWER].credential_id)
    assert [k.tenant_id for k in (await platform.api_keys.list(stranger, limit=100)).items] == [stranger.tenant_id]


async def test_keys_are_listed_newest_first_a_page_at_a_time(platform, acme) -> None:
    for _ in range(3):
        platform.clock.advance(timedelta(seconds=1))
        await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    seen, after = [], None
    while True:
        page = await platform.api_keys.list(acme[ADMIN], limit=2, after=after)
        seen += page.items
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert len(seen) == len(AccessRole) + 3 == len({k.id for k in seen})
    assert [(k.created_at, k.id) for k in seen] == sorted(((k.created_at, k.id) for k in seen), reverse=True)
    with pytest.raises(InvalidInput):
        await platform.api_keys.list(acme[ADMIN], limit=101)


async def test_operators_list_and_revoke_any_key(platform, acme) -> None:
    keys = await platform.api_keys.list_for_tenant("acme")
    assert {k.role for k in keys} == set(AccessRole)
    revoked, made = await platform.api_keys.revoke_any(acme[OWNER].credential_id)
    again, made_again = await platform.api_keys.revoke_any(acme[OWNER].credential_id)
    assert made and not made_again and revoked.revoked_at == again.revoked_at
    with pytest.raises(NotFound):
        await platform.api_keys.revoke_any("nokey")
    with pytest.raises(NotFound):
        await platform.api_keys.list_for_tenant("nobody")


async def test_a_last_use_that_loses_a_write_race_does_not_fail_the_request(platform, acme, monkeypatch) -> None:
    from tests.fakes.access import FakeApiKeys
    from undersign.domain.errors import ConcurrencyConflict

    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))

    async def busy(self, key_id, at):
        raise ConcurrencyConflict("the database is busy")

    with monkeypatch.context() as patched:
        patched.setattr(FakeApiKeys, "touch", busy)
        assert (await platform.tenants.authenticate(issued.key)).role is VIEWER
    assert platform.db.api_keys[issued.api_key.id].last_used_at is None
    await platform.tenants.authenticate(issued.key)  # tried again at once: the lost write was forgotten
    assert platform.db.api_keys[issued.api_key.id].last_used_at == platform.clock.now()


# -- pages, refusals and what each says -----------------------------------------------------------


async def test_a_key_refused_a_higher_role_is_told_what_it_may_not_create(platform, acme) -> None:
    with pytest.raises(Forbidden, match="^an admin key may not create an owner key$"):
        await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=OWNER))
    with pytest.raises(Forbidden, match="^a sender key may not do this"):
        await platform.api_keys.issue(IssueApiKey(caller=acme[SENDER], role=VIEWER))


async def test_a_caller_whose_tenant_is_gone_issues_nothing(platform, acme) -> None:
    gone = Caller(tenant_id="tenant-gone", role=OWNER, credential_id="k", actor="api_key:k")
    with pytest.raises(NotFound, match="no such tenant"):
        await platform.api_keys.issue(IssueApiKey(caller=gone, role=VIEWER))


async def test_a_page_of_one_and_a_full_last_page_have_no_cursor_past_the_end(platform, acme) -> None:
    everyone = len(AccessRole)
    one = await platform.api_keys.list(acme[ADMIN], limit=1)
    assert len(one.items) == 1 and one.next_cursor is not None
    full = await platform.api_keys.list(acme[ADMIN], limit=everyone)
    assert len(full.items) == everyone and full.next_cursor is None
    with pytest.raises(InvalidInput, match="limit must be between 1 and 100"):
        await platform.api_keys.list(acme[ADMIN], limit=0)


async def test_the_next_cursor_is_the_last_key_of_the_page(platform, acme) -> None:
    from undersign.application.access.ports import ApiKeyCursor

    for _ in range(3):
        platform.clock.advance(timedelta(seconds=1))
        await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    page = await platform.api_keys.list(acme[ADMIN], limit=3)
    assert page.next_cursor == ApiKeyCursor(created_at=page.items[-1].created_at, id=page.items[-1].id)


async def test_a_cursor_without_an_offset_is_refused_by_name(platform, acme) -> None:
    from datetime import datetime

    from undersign.application.access.ports import ApiKeyCursor

    naive = ApiKeyCursor(created_at=datetime(2026, 3, 1, 9, 0), id="k")
    with pytest.raises(InvalidInput, match="^the cursor needs a UTC offset"):
        await platform.api_keys.list(acme[ADMIN], limit=10, after=naive)


async def test_a_key_is_read_by_its_id_in_the_callers_tenant(platform, acme) -> None:
    viewer = acme[VIEWER].credential_id
    assert (await platform.api_keys.get(acme[ADMIN], viewer)).id == viewer
    with pytest.raises(NotFound, match="no API key nokey"):
        await platform.api_keys.get(acme[ADMIN], "nokey")
    with pytest.raises(NotFound, match="no API key nokey"):
        await platform.api_keys.revoke_any("nokey")
    with pytest.raises(NotFound, match="no tenant 'nobody'"):
        await platform.api_keys.list_for_tenant("nobody")


async def test_operators_list_every_key_past_a_page(platform, acme) -> None:
    from undersign.application.access.api_keys import MAX_PAGE_SIZE

    for _ in range(MAX_PAGE_SIZE + 1 - len(AccessRole)):
        platform.clock.advance(timedelta(seconds=1))
        await platform.api_keys.issue_for_tenant("acme", VIEWER)
    keys = await platform.api_keys.list_for_tenant("acme")
    assert len(keys) == MAX_PAGE_SIZE + 1 == len({k.id for k in keys})


async def test_a_key_revoked_here_is_refused_at_once_though_this_process_kept_a_copy(platform, acme) -> None:
    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    await platform.tenants.authenticate(issued.key)  # kept for a while
    await platform.api_keys.revoke(acme[ADMIN], issued.api_key.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        await platform.tenants.authenticate(issued.key)


def test_a_users_caller_names_the_user_and_is_refused_as_a_user() -> None:
    from datetime import UTC, datetime

    from undersign.domain.user import User

    user = User.invite(
        user_id="u1", tenant_id="t1", email="ana@acme.test", name="Ana", role=SENDER,
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    caller = Caller.of_user(user, credential_id="session:s1")
    assert (caller.credential_id, caller.actor, caller.user_id, caller.kind) == ("session:s1", "user:u1", "u1", "user")
    with pytest.raises(Forbidden, match="^a sender user may not do this"):
        caller.require(Permission.MANAGE_USERS)
    with pytest.raises(Forbidden, match="^a sender user may not create an admin key$"):
        caller.require_rank_of(ADMIN, "create")


def test_revoking_a_revoked_key_again_keeps_the_first_time() -> None:
    from datetime import UTC, datetime

    from undersign.domain.tenant import ApiKey

    now = datetime(2026, 3, 1, tzinfo=UTC)
    key = ApiKey.issue(key_id="k1", tenant_id="t1", role=VIEWER, secret_hash="h", now=now)
    first = key.revoked(now + timedelta(minutes=1))
    assert first.revoked(now + timedelta(minutes=2)).revoked_at == now + timedelta(minutes=1)


async def test_of_two_revocations_racing_the_first_ones_time_is_kept_and_told(platform, acme, monkeypatch) -> None:
    from dataclasses import replace

    from tests.fakes.access import FakeApiKeys

    issued = await platform.api_keys.issue(IssueApiKey(caller=acme[ADMIN], role=VIEWER))
    first = platform.clock.now()
    platform.clock.advance(timedelta(seconds=5))
    record_revocation = FakeApiKeys.record_revocation

    async def another_process_revoked_it_first(self, key):
        self._table[key.id] = replace(self._table[key.id], revoked_at=first)
        return await record_revocation(self, key)

    monkeypatch.setattr(FakeApiKeys, "record_revocation", another_process_revoked_it_first)
    revoked, made = await platform.api_keys.revoke_any(issued.api_key.id)
    assert (revoked.revoked_at, made) == (first, False)


async def test_a_page_asks_the_store_for_one_key_more_than_it_returns_and_operators_a_page_at_a_time(
    platform, acme, monkeypatch
) -> None:
    from tests.fakes.access import FakeApiKeys
    from undersign.application.access.api_keys import MAX_PAGE_SIZE

    asked = limits_asked(monkeypatch, FakeApiKeys, "for_tenant")
    await platform.api_keys.list(acme[ADMIN], limit=2)
    await platform.api_keys.list_for_tenant("acme")
    assert asked == [3, MAX_PAGE_SIZE, MAX_PAGE_SIZE]
