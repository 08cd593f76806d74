"""Signing policies: what a policy may hold (the domain), and the use cases on fakes (who may, versions,
the default, the envelopes that follow a policy, the tenant audit log)."""

from __future__ import annotations

import pytest

from tests.fakes.platform import FakePlatform
from tests.fakes.unit_of_work import FakeUnitOfWork
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.policies.manage import Policies
from undersign.application.shared.errors import Forbidden, PreconditionFailed
from undersign.domain.errors import ConcurrencyConflict, InvalidInput, NotFound
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import (
    MAX_CONSENT_TEXT_LENGTH,
    SUPPORTED_LANGUAGES,
    Policy,
    Routing,
    SignatureLevel,
    UnknownPolicy,
)
from undersign.domain.tenant import AccessRole

BASE = Policy(id="p1", tenant_id="t1", name="Strict")


# -- the domain ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"languages": ()}, {"languages": ("fr",)}, {"languages": ("en", "en")}, {"expiry_days": 0},
        {"expiry_days": 3651}, {"reminder_days": -1}, {"reminder_days": 366}, {"reminder_days": 30},
        {"retention_days": 0}, {"retention_days": 36_501}, {"consent_text": "  "},
        {"consent_text": "x" * (MAX_CONSENT_TEXT_LENGTH + 1)}, {"consent_text": "a\x07b"}, {"name": ""},
        {"name": "two\nlines"}, {"expiry_days": True}, {"version": 0},
    ],
)
def test_a_policy_refuses_what_it_cannot_hold(changes: dict) -> None:
    with pytest.raises(InvalidInput):
        Policy(**{"id": "p1", "tenant_id": "t1", "name": "Strict", **changes})


def test_a_policy_keeps_its_text_clean_and_offers_english_unless_told() -> None:
    policy = Policy(id="p1", tenant_id="t1", name="  Strict ", consent_text="I agree.\r\nReally.", languages=["ar", "en"])
    assert (policy.name, policy.consent_text) == ("Strict", "I agree.\nReally.")
    assert policy.languages == ("ar", "en") and policy.fallback_language == "ar"
    assert BASE.languages == ("en",) and set(BASE.languages) <= set(SUPPORTED_LANGUAGES)
    assert Policy(id="p", tenant_id="t", name="n", expiry_days=7, reminder_days=6).reminder_days == 6


def test_a_revision_is_the_next_version_and_changes_only_what_may_change() -> None:
    revised = BASE.revised(expiry_days=14, languages=("en", "ar"))
    assert (revised.version, revised.expiry_days, revised.languages, revised.id) == (2, 14, ("en", "ar"), "p1")
    assert BASE.differences(revised) == ["expiry_days", "languages"]
    assert BASE.version == 1  # versions are never edited
    for refused in ({"id": "p2"}, {"tenant_id": "t2"}, {"version": 9}, {"colour": "red"}):
        with pytest.raises(InvalidInput):
            BASE.revised(**refused)
    with pytest.raises(InvalidInput):
        BASE.revised(reminder_days=40)  # checked like a new policy


# -- the use cases -----------------------------------------------------------------------------------


async def key_of(platform: FakePlatform, role: AccessRole, tenant: str = "acme") -> Caller:
    return await platform.tenants.authenticate((await platform.tenants.create_api_key(tenant, role)).key)


def acts(platform: FakePlatform, slug: str = "acme") -> list[tuple[str, dict]]:
    return [(e.type, e.data) for e in platform.db.tenant_audit[platform.db.tenants[slug].id] if "Policy" in e.type]


async def test_policies_are_created_revised_and_listed_with_every_change_in_the_audit_log(
    platform: FakePlatform, caller: Caller
) -> None:
    made = await platform.policies.create(caller, name="Strict", expiry_days=10, languages=("ar", "en"))
    assert (made.version, made.tenant_id, made.expiry_days) == (1, caller.tenant_id, 10)
    revised = await platform.policies.revise(caller, made.id, expected_version=1, expiry_days=20)
    assert revised.version == 2
    assert await platform.policies.revise(caller, made.id, expiry_days=20) == revised  # no change, no version
    with pytest.raises(PreconditionFailed):
        await platform.policies.revise(caller, made.id, expected_version=1, expiry_days=5)

    assert await platform.policies.get(caller, made.id) == (revised, False)
    page = await platform.policies.list(caller, limit=1)
    rest = await platform.policies.list(caller, limit=1, after=page.next_cursor)
    assert {p.name for p in page.items + rest.items} == {"default", "Strict"} and rest.next_cursor is None
    assert page.default_id == rest.default_id != made.id

    default_id = page.default_id
    await platform.policies.set_default(caller, made.id)
    await platform.policies.set_default(caller, made.id)  # again: nothing changes, nothing recorded
    assert await platform.policies.get(caller, made.id) == (revised, True)
    third = await platform.policies.revise(caller, made.id, signature_level=SignatureLevel.PADES_B_T)
    assert await platform.policies.get(caller, made.id) == (third, True)  # the default follows its versions
    assert acts(platform) == [
        ("PolicyCreated", {"policy_id": made.id, "name": "Strict", "default": False}),
        ("PolicyRevised", {"policy_id": made.id, "version": 2, "changed": ["expiry_days"]}),
        ("DefaultPolicyChanged", {"policy_id": made.id, "previous_policy_id": default_id}),
        ("PolicyRevised", {"policy_id": made.id, "version": 3, "changed": ["signature_level"]}),
    ]


async def test_a_policy_created_as_the_default_replaces_the_old_one(platform: FakePlatform, caller: Caller) -> None:
    old = (await platform.policies.list(caller, limit=10)).default_id
    made = await platform.policies.create(caller, name="New default", default=True)
    assert (await platform.policies.list(caller, limit=10)).default_id == made.id
    assert acts(platform)[-1] == ("DefaultPolicyChanged", {"policy_id": made.id, "previous_policy_id": old})


async def test_who_may_read_and_who_may_change_policies(platform: FakePlatform) -> None:
    await platform.tenants.create("acme")
    admin = await key_of(platform, AccessRole.ADMIN)
    made = await platform.policies.create(admin, name="Strict")
    for role in (AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR):
        caller = await key_of(platform, role)
        assert (await platform.policies.get(caller, made.id))[0] == made
        for act in (
            platform.policies.create(caller, name="Mine"),
            platform.policies.revise(caller, made.id, expiry_days=3),
            platform.policies.set_default(caller, made.id),
        ):
            with pytest.raises(Forbidden):
                await act
    owner = await key_of(platform, AccessRole.OWNER)
    assert (await platform.policies.revise(owner, made.id, expiry_days=3)).version == 2


async def test_another_tenants_policy_is_not_found(platform: FakePlatform, caller: Caller) -> None:
    await platform.tenants.create("globex")
    stranger = await key_of(platform, AccessRole.ADMIN, "globex")
    theirs = await platform.policies.create(stranger, name="Theirs")
    for act in (
        platform.policies.get(caller, theirs.id),
        platform.policies.revise(caller, theirs.id, expiry_days=3),
        platform.policies.set_default(caller, theirs.id),
    ):
        with pytest.raises(NotFound):
            await act
    with pytest.raises(UnknownPolicy) as refused:
        await platform.create_envelope(CreateEnvelope(caller=caller, subject="S", policy_id=theirs.id))
    assert refused.value.code == "unknown_policy" and isinstance(refused.value, InvalidInput)
    assert [p.name for p in (await platform.policies.list(caller, limit=10)).items] == ["default"]


async def test_bad_settings_and_pages_are_invalid_input(platform: FakePlatform, caller: Caller) -> None:
    for act in (
        platform.policies.create(caller, name="S", colour="red"),
        platform.policies.create(caller, name="S", id="mine"),
        platform.policies.create(caller, name="S", languages=("xx",)),
        platform.policies.list(caller, limit=0),
        platform.policies.list(caller, limit=10, after="x" * 65),
    ):
        with pytest.raises(InvalidInput):
            await act


async def test_operators_manage_the_policies_of_any_tenant_by_slug(platform: FakePlatform) -> None:
    await platform.tenants.create("acme")
    made = await platform.policies.create_for_tenant("acme", name="Ops", by="cli:root", reminder_days=2)
    revised = await platform.policies.revise_for_tenant("acme", made.id, expiry_days=9)
    await platform.policies.set_default_for_tenant("acme", made.id)
    assert await platform.policies.get_for_tenant("acme", made.id) == (revised, True)
    assert [p.id for p in (await platform.policies.list_for_tenant("acme")).items if p.name == "Ops"] == [made.id]
    assert {e.actor for e in platform.db.tenant_audit[made.tenant_id] if "Policy" in e.type} == {"cli:root", "cli"}
    with pytest.raises(NotFound):
        await platform.policies.list_for_tenant("initech")


async def test_two_revisions_of_one_version_cannot_both_land(platform: FakePlatform, caller: Caller) -> None:
    made = await platform.policies.create(caller, name="Strict")
    first, second = platform.unit_of_work(), platform.unit_of_work()
    async with first, second:
        await first.policies.add_version(made.revised(expiry_days=3))
        await second.policies.add_version(made.revised(expiry_days=4))
        await first.commit()
        with pytest.raises(ConcurrencyConflict):
            await second.commit()


# -- the envelopes that follow a policy -------------------------------------------------------------


async def draft(platform: FakePlatform, caller: Caller, policy_id: str | None) -> str:
    envelope = await platform.create_envelope(CreateEnvelope(caller=caller, subject="Lease", policy_id=policy_id))
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope.id, filename="lease.pdf", content=b"%PDF-1.7 pages=2")
    )
    signer = await platform.add_signer(AddSigner(caller=caller, envelope_id=envelope.id, name="Ada", email="ada@example.com"))
    await platform.place_field(
        PlaceField(
            caller=caller, envelope_id=envelope.id, document_id=document.id, signer_id=signer.id,
            kind=FieldKind.SIGNATURE, placement=Placement(page=2, x=50, y=700, width=150, height=40),
        )
    )
    return envelope.id


async def test_an_envelope_follows_the_policy_it_names_at_its_version_when_sent(platform: FakePlatform, caller: Caller) -> None:
    made = await platform.policies.create(
        caller, name="Fast", routing_default=Routing.PARALLEL, signature_level=SignatureLevel.PADES_B_B, expiry_days=5
    )
    named = await draft(platform, caller, made.id)
    assert platform.db.envelopes[named].routing is Routing.PARALLEL and platform.db.envelopes[named].policy_id == made.id
    unnamed = await draft(platform, caller, None)
    assert platform.db.envelopes[unnamed].routing is Routing.SEQUENTIAL

    await platform.policies.revise(caller, made.id, expiry_days=7)
    sent, _ = await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=named))
    assert (sent.policy.id, sent.policy.version, sent.policy.expiry_days) == (made.id, 2, 7)
    await platform.policies.revise(caller, made.id, expiry_days=9)
    assert platform.db.envelopes[named].policy.version == 2  # the snapshot stays

    other, _ = await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=unnamed))
    assert other.policy.name == "default" and other.policy_id is None


# -- who is named, and what is refused and why ----------------------------------------------------


def policy_acts(platform: FakePlatform, slug: str = "acme") -> list[tuple[str, str, dict]]:
    return [(e.type, e.actor, e.data) for e in platform.db.tenant_audit[platform.db.tenants[slug].id] if "Policy" in e.type]


async def test_every_policy_change_through_the_api_names_the_caller(platform: FakePlatform, caller: Caller) -> None:
    old = (await platform.policies.list(caller, limit=10)).default_id
    made = await platform.policies.create(caller, name="Strict", default=True)
    await platform.policies.revise(caller, made.id, expiry_days=9)
    await platform.policies.set_default(caller, old)
    assert policy_acts(platform) == [
        ("PolicyCreated", caller.actor, {"policy_id": made.id, "name": "Strict", "default": True}),
        ("DefaultPolicyChanged", caller.actor, {"policy_id": made.id, "previous_policy_id": old}),
        ("PolicyRevised", caller.actor, {"policy_id": made.id, "version": 2, "changed": ["expiry_days"]}),
        ("DefaultPolicyChanged", caller.actor, {"policy_id": old, "previous_policy_id": made.id}),
    ]


async def test_an_operator_creates_a_non_default_policy_unless_told_and_is_named_in_each_act(platform: FakePlatform) -> None:
    await platform.tenants.create("acme")
    old = platform.db.policies[platform.db.tenants["acme"].id].id
    plain = await platform.policies.create_for_tenant("acme", name="Plain", by="cli:ann")
    assert await platform.policies.get_for_tenant("acme", plain.id) == (plain, False)
    chosen = await platform.policies.create_for_tenant("acme", name="Chosen", default=True, by="cli:ann")
    assert await platform.policies.get_for_tenant("acme", chosen.id) == (chosen, True)
    revised = await platform.policies.revise_for_tenant("acme", plain.id, by="cli:bob", expiry_days=9)
    await platform.policies.set_default_for_tenant("acme", plain.id, by="cli:bob")
    assert policy_acts(platform) == [
        ("PolicyCreated", "cli:ann", {"policy_id": plain.id, "name": "Plain", "default": False}),
        ("PolicyCreated", "cli:ann", {"policy_id": chosen.id, "name": "Chosen", "default": True}),
        ("DefaultPolicyChanged", "cli:ann", {"policy_id": chosen.id, "previous_policy_id": old}),
        ("PolicyRevised", "cli:bob", {"policy_id": plain.id, "version": revised.version, "changed": ["expiry_days"]}),
        ("DefaultPolicyChanged", "cli:bob", {"policy_id": plain.id, "previous_policy_id": chosen.id}),
    ]


async def test_a_tenant_without_a_default_lists_none_and_gets_one_with_no_previous(
    platform: FakePlatform, caller: Caller
) -> None:
    del platform.db.policies[caller.tenant_id]
    assert (await platform.policies.list(caller, limit=10)).default_id is None
    first = await platform.policies.create(caller, name="First", default=True)
    del platform.db.policies[caller.tenant_id]
    await platform.policies.set_default(caller, first.id)
    assert [data for kind, _, data in policy_acts(platform) if kind == "DefaultPolicyChanged"] == [
        {"policy_id": first.id, "previous_policy_id": None},
        {"policy_id": first.id, "previous_policy_id": None},
    ]


@pytest.mark.parametrize("setting", [{"id": "mine"}, {"tenant_id": "t2"}, {"version": 5}])
async def test_a_new_policys_identity_is_the_platforms_to_choose(
    platform: FakePlatform, caller: Caller, setting: dict
) -> None:
    with pytest.raises(InvalidInput, match="^a new policy's id, tenant and version are the platform's to choose$"):
        await platform.policies.create(caller, name="S", **setting)
    assert [p.name for p in (await platform.policies.list(caller, limit=10)).items] == ["default"]


async def test_refusals_say_what_was_wrong(platform: FakePlatform, caller: Caller) -> None:
    made = await platform.policies.create(caller, name="Strict")
    await platform.policies.revise(caller, made.id, expiry_days=9)
    with pytest.raises(InvalidInput, match="a policy has no such setting: .*colour"):
        await platform.policies.create(caller, name="S", colour="red")
    with pytest.raises(InvalidInput, match="^limit must be between 1 and 100$"):
        await platform.policies.list(caller, limit=101)
    with pytest.raises(PreconditionFailed, match=f"^policy {made.id} is at version 2, not 1: read it again$"):
        await platform.policies.revise(caller, made.id, expected_version=1, expiry_days=5)
    with pytest.raises(NotFound, match="^no policy nope$"):
        await platform.policies.get(caller, "nope")
    with pytest.raises(NotFound, match="^no tenant 'initech'$"):
        await platform.policies.list_for_tenant("initech")


@pytest.mark.parametrize("cursor", ["", "x" * 65])
async def test_a_cursor_the_api_could_not_have_returned_is_refused(
    platform: FakePlatform, caller: Caller, cursor: str
) -> None:
    with pytest.raises(InvalidInput, match="^the cursor is not one this API returned$"):
        await platform.policies.list(caller, limit=10, after=cursor)


@pytest.mark.parametrize("cursor", ["a", "a" * 64])
async def test_cursors_of_one_to_64_characters_are_read(platform: FakePlatform, caller: Caller, cursor: str) -> None:
    everything = (await platform.policies.list(caller, limit=10)).items
    page = await platform.policies.list(caller, limit=10, after=cursor)
    assert page.items == [p for p in everything if p.id > cursor]
    assert page.next_cursor is None


async def test_a_tenant_holds_at_most_100_policies(platform: FakePlatform, caller: Caller) -> None:
    for n in range(99):
        policy = Policy(id=f"pol-{n:03}", tenant_id=caller.tenant_id, name=f"P{n}")
        platform.db.policy_versions[(policy.id, 1)] = policy
    assert len((await platform.policies.list_for_tenant("acme")).items) == 100
    with pytest.raises(InvalidInput, match="^a tenant has at most 100 policies$"):
        await platform.policies.create(caller, name="One too many")


def test_a_revision_names_what_it_cannot_change() -> None:
    with pytest.raises(InvalidInput, match="^a revision cannot change \\['colour', 'id'\\]$"):
        BASE.revised(id="p2", colour="red")


async def test_a_page_reads_one_policy_more_than_it_shows_and_no_more(platform: FakePlatform, caller: Caller) -> None:
    asked: list[int] = []

    def noting_limits() -> FakeUnitOfWork:
        uow = platform.unit_of_work()
        read = uow.policies.list

        async def list_(tenant_id: str, *, limit: int, after: str | None = None) -> list[Policy]:
            asked.append(limit)
            return await read(tenant_id, limit=limit, after=after)

        uow.policies.list = list_  # type: ignore[method-assign]
        return uow

    await Policies(noting_limits, platform.clock, platform.ids).list(caller, limit=7)
    assert asked == [8]
