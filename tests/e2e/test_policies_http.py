"""Signing policies over HTTP: created, listed, read and replaced (a new version each time), who may do
what, and what each of a policy's settings does to the envelopes that follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dependency_injector import providers

from tests.e2e.api import add_signer, api_key, bearer, place, problem, send
from tests.pdf_samples import make_pdf
from tests.stack import Stack
from undersign.domain.policy import DEFAULT_CONSENT_TEXT, SUPPORTED_LANGUAGES, Routing, SignatureLevel, SignerAuth
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown
from undersign.entrypoints.http.policy_schemas import LanguageCode, RoutingName, SignatureLevelName, SignerAuthName

STRICT = {
    "name": "Strict contracts",
    "signature_level": "PAdES-B-B",
    "signer_auth": "link",
    "routing_default": "parallel",
    "expiry_days": 10,
    "reminder_days": 2,
    "retention_days": 400,
    "decline_allowed": False,
    "embedded_signing": True,
    "consent_text": "I sign this contract electronically, on purpose.",
    "languages": ["ar", "en"],
}


async def create_policy(stack: Stack, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await stack.client.post("/v1/policies", json=body, headers=headers or stack.headers)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == f'"{response.json()["id"]}-1"'
    return response.json()


async def envelope_with_policy(stack: Stack, policy_id: str | None, signers: tuple[str, ...] = ("Ada Lovelace",)) -> str:
    """A draft naming `policy_id` (None: none), with a document and a signature field for each of `signers`."""
    body = {"subject": "Supply contract"} | ({"policy_id": policy_id} if policy_id else {})
    created = await stack.client.post("/v1/envelopes", json=body, headers=stack.headers)
    assert created.status_code == 201, created.text
    envelope_id = created.json()["id"]
    upload = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/documents", files={"file": ("c.pdf", make_pdf(pages=1), "application/pdf")},
        headers=stack.headers,
    )
    assert upload.status_code == 201, upload.text
    for n, name in enumerate(signers):
        signer_id = await add_signer(stack, envelope_id, name)
        await place(stack, envelope_id, upload.json()["id"], signer_id, "signature", 1, 72, 100 + 60 * n)
    return envelope_id


async def envelope(stack: Stack, envelope_id: str) -> dict[str, Any]:
    response = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def replace(stack: Stack, policy_id: str, body: dict[str, Any], etag: str | None = None):
    headers = stack.headers | ({"If-Match": etag} if etag else {})
    return await stack.client.put(f"/v1/policies/{policy_id}", json=body, headers=headers)


async def link_token(stack: Stack, envelope_id: str, signer_id: str) -> str:
    url = f"/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-link"
    response = await stack.client.post(url, json={}, headers=stack.headers)
    assert response.status_code == 201, response.text
    return response.json()["token"]


class LaterClock:
    def __init__(self, ahead: timedelta) -> None:
        self._ahead = ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead


async def reminders_sent_after(stack: Stack, ahead: timedelta) -> int:
    """Run the reminder schedule of the installation as if `ahead` had passed."""
    container = build_container(stack.settings)
    container.core.clock.override(providers.Object(LaterClock(ahead)))
    try:
        return await container.use_cases().schedules.send_reminders()
    finally:
        await shutdown(container)


# -- the resource ------------------------------------------------------------------------------------


async def test_a_policy_is_created_listed_read_and_each_change_is_a_new_version(stack: Stack) -> None:
    headers = stack.headers | {"Idempotency-Key": "policy-1"}
    made = await create_policy(stack, STRICT, headers)
    again = await stack.client.post("/v1/policies", json=STRICT, headers=headers)
    assert again.json() == made and again.headers["idempotent-replayed"] == "true"
    assert made | {"id": "x"} == {"id": "x", "version": 1, "default": False, **STRICT}

    listed = (await stack.client.get("/v1/policies", headers=stack.headers)).json()
    assert sorted((p["name"], p["default"], p["languages"]) for p in listed["items"]) == [
        ("Strict contracts", False, ["ar", "en"]), ("default", True, ["en"]),
    ]
    first = (await stack.client.get("/v1/policies?limit=1", headers=stack.headers)).json()
    rest = (await stack.client.get(f"/v1/policies?limit=1&cursor={first['next_cursor']}", headers=stack.headers)).json()
    assert [p["id"] for p in first["items"] + rest["items"]] == [p["id"] for p in listed["items"]]
    assert rest["next_cursor"] is None

    read = await stack.client.get(f"/v1/policies/{made['id']}", headers=stack.headers)
    assert read.json() == made and read.headers["etag"] == f'"{made["id"]}-1"'

    changed = await replace(stack, made["id"], STRICT | {"expiry_days": 20}, etag=read.headers["etag"])
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["expiry_days"] == 20
    assert changed.headers["etag"] == f'"{made["id"]}-2"'

    stale = await replace(stack, made["id"], STRICT | {"expiry_days": 5}, etag=read.headers["etag"])
    problem(stale, 412, "precondition_failed")
    unchanged = await replace(stack, made["id"], STRICT | {"expiry_days": 20}, etag=changed.headers["etag"])
    assert unchanged.json()["version"] == 2  # nothing changed: no new version
    left_out = await replace(stack, made["id"], {"name": "Strict contracts"})  # a replacement: the rest defaulted
    assert left_out.json() | {"id": "x"} == {
        "id": "x", "name": "Strict contracts", "version": 3, "default": False, "signature_level": "PAdES-B-LTA",
        "signer_auth": "link", "routing_default": "sequential", "expiry_days": 30, "reminder_days": 0,
        "retention_days": 3650, "decline_allowed": True, "embedded_signing": False, "consent_text": DEFAULT_CONSENT_TEXT,
        "languages": ["en"],
    }

    owner = bearer(await api_key(stack, AccessRole.OWNER))
    log = (await stack.client.get("/v1/audit-log", headers=owner)).json()["items"]
    acts = [(e["type"], e["data"]) for e in log if "Policy" in e["type"]]
    assert acts == [
        ("PolicyCreated", {"policy_id": made["id"], "name": "Strict contracts", "default": False}),
        ("PolicyRevised", {"policy_id": made["id"], "version": 2, "changed": ["expiry_days"]}),
        ("PolicyRevised", {"policy_id": made["id"], "version": 3, "changed": [
            "signature_level", "routing_default", "expiry_days", "reminder_days", "retention_days", "decline_allowed",
            "embedded_signing", "consent_text", "languages",
        ]}),
    ]


async def test_what_a_policy_cannot_hold_is_refused(stack: Stack) -> None:
    for refused in (
        STRICT | {"languages": []}, STRICT | {"languages": ["fr"]}, STRICT | {"languages": ["en", "en"]},
        STRICT | {"expiry_days": 0}, STRICT | {"expiry_days": 3651}, STRICT | {"reminder_days": 10},
        STRICT | {"consent_text": ""}, STRICT | {"consent_text": "x" * 2001}, STRICT | {"consent_text": "a\x00b"},
        STRICT | {"signature_level": "PAdES-B-X"}, STRICT | {"expiry_days": "10"}, STRICT | {"colour": "red"},
        STRICT | {"name": " "},
    ):
        response = await stack.client.post("/v1/policies", json=refused, headers=stack.headers)
        assert response.status_code in (400, 422), (refused, response.text)
    assert len((await stack.client.get("/v1/policies", headers=stack.headers)).json()["items"]) == 1


async def test_another_tenants_policy_is_not_found_and_no_envelope_of_ours_can_follow_it(stack: Stack) -> None:
    theirs = await create_policy(stack, STRICT, bearer(await api_key(stack, tenant="globex")))
    problem(await stack.client.get(f"/v1/policies/{theirs['id']}", headers=stack.headers), 404, "not_found")
    problem(await replace(stack, theirs["id"], STRICT), 404, "not_found")
    problem(await stack.client.post(f"/v1/policies/{theirs['id']}/default", headers=stack.headers), 404, "not_found")
    refused = await stack.client.post("/v1/envelopes", json={"subject": "S", "policy_id": theirs["id"]}, headers=stack.headers)
    problem(refused, 422, "unknown_policy")
    problem(
        await stack.client.post("/v1/envelopes", json={"subject": "S", "policy_id": "no-such"}, headers=stack.headers),
        422, "unknown_policy",
    )


async def test_senders_and_auditors_read_policies_but_only_owners_and_admins_change_them(stack: Stack) -> None:
    made = await create_policy(stack, STRICT)
    for role in (AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR):
        key = bearer(await api_key(stack, role))
        assert (await stack.client.get("/v1/policies", headers=key)).status_code == 200
        assert (await stack.client.get(f"/v1/policies/{made['id']}", headers=key)).status_code == 200
        problem(await stack.client.post("/v1/policies", json=STRICT, headers=key), 403, "forbidden")
        problem(await stack.client.put(f"/v1/policies/{made['id']}", json=STRICT, headers=key), 403, "forbidden")
        problem(await stack.client.post(f"/v1/policies/{made['id']}/default", headers=key), 403, "forbidden")
    owner = bearer(await api_key(stack, AccessRole.OWNER))
    assert (await stack.client.put(f"/v1/policies/{made['id']}", json=STRICT | {"name": "O"}, headers=owner)).status_code == 200


# -- what each setting does ------------------------------------------------------------------------


async def test_every_setting_of_the_policy_an_envelope_names_takes_effect(stack: Stack) -> None:
    policy = await create_policy(stack, STRICT)
    envelope_id = await envelope_with_policy(stack, policy["id"], ("Ada Lovelace", "Bob Babbage"))
    draft = await envelope(stack, envelope_id)
    assert draft["routing"] == "parallel"  # routing_default
    assert (draft["policy_id"], draft["policy_version"], draft["signature_level"]) == (policy["id"], None, None)

    sent = await send(stack, envelope_id)
    assert (sent["policy_id"], sent["policy_version"]) == (policy["id"], 1)
    assert sent["signature_level"] == "PAdES-B-B"  # signature_level
    sent_at, expires_at = datetime.fromisoformat(sent["sent_at"]), datetime.fromisoformat(sent["expires_at"])
    assert expires_at - sent_at == timedelta(days=10)  # expiry_days

    ada = sent["signers"][0]["id"]
    token = await link_token(stack, envelope_id, ada)
    page = (await stack.client.get(f"/v1/signing/{token}")).json()
    assert page["consent_text"] == STRICT["consent_text"]  # consent_text
    declined = await stack.client.post(f"/v1/signing/{token}/decline", json={"reason": "no"})
    problem(declined, 409, "invalid_state")  # decline_allowed

    assert await reminders_sent_after(stack, timedelta(days=1)) == 0  # reminder_days: not yet
    assert await reminders_sent_after(stack, timedelta(days=2, minutes=1)) == 2  # both, in parallel

    # A change makes a new version; the envelope already sent keeps the one it was sent with.
    assert (await replace(stack, policy["id"], STRICT | {"signature_level": "PAdES-B-LTA"})).json()["version"] == 2
    kept = await envelope(stack, envelope_id)
    assert (kept["policy_version"], kept["signature_level"]) == (1, "PAdES-B-B")


async def test_a_draft_follows_the_version_current_when_it_is_sent_and_the_default_when_it_names_none(stack: Stack) -> None:
    policy = await create_policy(stack, STRICT | {"signer_auth": "email_otp"})
    named = await envelope_with_policy(stack, policy["id"])
    unnamed = await envelope_with_policy(stack, None)
    assert (await envelope(stack, unnamed))["routing"] == "sequential"  # the tenant's default policy's

    await replace(stack, policy["id"], STRICT | {"signer_auth": "email_otp", "signature_level": "PAdES-B-T"})
    made_default = await stack.client.post(f"/v1/policies/{policy['id']}/default", headers=stack.headers)
    assert made_default.status_code == 200 and made_default.json()["default"] is True
    listed = (await stack.client.get("/v1/policies", headers=stack.headers)).json()["items"]
    assert [p["name"] for p in listed if p["default"]] == ["Strict contracts"]

    for envelope_id in (named, unnamed):
        sent = await send(stack, envelope_id)
        assert (sent["policy_id"], sent["policy_version"], sent["signature_level"]) == (policy["id"], 2, "PAdES-B-T")
    assert await snapshot_signer_auth(stack, named) is SignerAuth.EMAIL_OTP  # signer_auth: kept in the snapshot


async def snapshot_signer_auth(stack: Stack, envelope_id: str) -> SignerAuth:
    container = build_container(stack.settings)
    try:
        use_cases = container.use_cases()
        caller = await use_cases.tenants.authenticate(stack.headers["Authorization"].removeprefix("Bearer "))
        found, _ = await use_cases.envelope_queries.get(caller, envelope_id)
        assert found.policy is not None
        return found.policy.signer_auth
    finally:
        await shutdown(container)


def test_the_api_offers_exactly_the_domains_values() -> None:
    assert set(SignatureLevelName.__args__) == {s.value for s in SignatureLevel}
    assert set(SignerAuthName.__args__) == {s.value for s in SignerAuth}
    assert set(RoutingName.__args__) == {r.value for r in Routing}
    assert set(LanguageCode.__args__) == set(SUPPORTED_LANGUAGES)
