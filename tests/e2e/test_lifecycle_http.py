"""The envelope lifecycle over HTTP on the embedded default, checked by independent validators."""

from __future__ import annotations

import asyncio
import hashlib

from tests.e2e import api
from tests.pdf_checks import form_field_values, openssl_verify_all, pdfsig_report, pyhanko_statuses


async def test_two_signers_then_the_seal_give_three_valid_signatures(stack):
    envelope_id, document_id = await api.create_envelope(stack)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    bob = await api.add_signer(stack, envelope_id, "Bob Babbage")
    await api.place(stack, envelope_id, document_id, ada, "signature", 2, 72, 600)
    company = await api.place(stack, envelope_id, document_id, ada, "text", 1, 72, 300)
    agree = await api.place(stack, envelope_id, document_id, ada, "checkbox", 1, 72, 360, required=True)
    await api.place(stack, envelope_id, document_id, ada, "date_signed", 2, 260, 600)
    await api.place(stack, envelope_id, document_id, bob, "signature", 2, 72, 700)
    await api.place(stack, envelope_id, document_id, bob, "initials", 1, 400, 760)

    sent = await api.send(stack, envelope_id)
    assert sent["status"] == "sent"
    assert [s["status"] for s in sent["signers"]] == ["notified", "pending"]

    ada_token = await api.signing_token(stack, envelope_id, ada)
    session = (await stack.client.get(f"/v1/signing/{ada_token}")).json()
    assert session["can_sign"] and session["subject"] == "Lease agreement"
    assert {f["kind"] for f in session["fields"]} == {"signature", "text", "checkbox", "date_signed"}
    await api.sign(stack, ada_token, "Ada Lovelace", {company: "Analytical Engines Ltd", agree: True})
    done = await api.sign(stack, await api.signing_token(stack, envelope_id, bob), "Bob Babbage")
    assert done["envelope_status"] == "completed"
    # The last signature answers before the seal, which a background job adds right after.
    await api.until_sealed(stack, envelope_id)

    pdf = await api.final_pdf(stack, envelope_id, document_id)
    assert [s.valid for s in pdfsig_report(pdf, expected=3)] == [True, True, True]
    assert openssl_verify_all(pdf, stack.trust_root) == [True, True, True]
    statuses = pyhanko_statuses(pdf, stack.trust_root)
    assert [(s.intact, s.valid, s.trusted) for s in statuses] == [(True, True, True)] * 3
    assert statuses[-1].field_name == "platform-seal"
    values = form_field_values(pdf)
    assert values[f"text-{company}"] == "Analytical Engines Ltd"
    assert "BB" in values.values()

    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert envelope["status"] == "completed"
    assert envelope["documents"][0]["current_sha256"] == hashlib.sha256(pdf).hexdigest()
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    assert audit["chain_valid"] is True
    types = [e["type"] for e in audit["events"]]
    assert types.count("SignerSigned") == 2 and "EnvelopeCompleted" in types and "DocumentSealed" in types
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(audit["events"], audit["events"][1:]))


async def test_eight_parallel_signers_at_once_all_land_once_and_complete_once(stack):
    envelope_id, document_id = await api.create_envelope(stack, routing="parallel")
    signers = [await api.add_signer(stack, envelope_id, f"Signer {n}") for n in range(8)]
    await api.send(stack, envelope_id)
    tokens = [await api.signing_token(stack, envelope_id, s) for s in signers]

    results = await asyncio.gather(*(api.sign(stack, t, f"Signer {n}") for n, t in enumerate(tokens)))

    assert all(r["signer"]["status"] == "signed" for r in results)
    await api.until_sealed(stack, envelope_id)
    pdf = await api.final_pdf(stack, envelope_id, document_id)
    report = pdfsig_report(pdf, expected=9)
    assert all(s.valid for s in report), report
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    types = [e["type"] for e in audit["events"]]
    assert types.count("SignerSigned") == 8
    assert types.count("EnvelopeCompleted") == 1 and types.count("DocumentSealed") == 1
    assert audit["chain_valid"] is True


async def test_signing_out_of_turn_twice_is_a_conflict_and_after_void_the_link_is_gone(stack):
    envelope_id, _ = await api.create_envelope(stack)
    ada = await api.add_signer(stack, envelope_id, "Ada")
    bob = await api.add_signer(stack, envelope_id, "Bob")
    await api.send(stack, envelope_id)
    ada_token, bob_token = await api.signing_token(stack, envelope_id, ada), await api.signing_token(stack, envelope_id, bob)

    out_of_turn = await api.sign(stack, bob_token, "Bob", expect=409)
    assert out_of_turn["code"] == "not_your_turn"
    await api.sign(stack, ada_token, "Ada")
    assert (await api.sign(stack, ada_token, "Ada"))["signer"]["status"] == "signed"  # a retry: answered again
    assert (await api.sign(stack, ada_token, "Ada L.", expect=409))["code"] == "already_signed"
    await api.post(stack, f"/v1/envelopes/{envelope_id}/void", {"reason": "terms changed"}, expect=200)
    after_void = await api.sign(stack, bob_token, "Bob", expect=410)
    assert after_void["code"] == "envelope_closed" and "voided" in after_void["detail"]
    # Nothing is read through the link any more either: not the envelope, not its documents.
    api.problem(await stack.client.get(f"/v1/signing/{bob_token}"), 410, "envelope_closed")


async def test_a_decline_ends_the_envelope(stack):
    envelope_id, _ = await api.create_envelope(stack, routing="parallel")
    ada = await api.add_signer(stack, envelope_id, "Ada")
    bob = await api.add_signer(stack, envelope_id, "Bob")
    await api.send(stack, envelope_id)
    bob_token = await api.signing_token(stack, envelope_id, bob)
    response = await stack.client.post(
        f"/v1/signing/{await api.signing_token(stack, envelope_id, ada)}/decline", json={"reason": "wrong rent"}
    )
    assert response.status_code == 200 and response.json()["envelope_status"] == "declined"
    assert (await api.sign(stack, bob_token, "Bob", expect=410))["code"] == "envelope_closed"
    assert (await api.post(stack, f"/v1/envelopes/{envelope_id}/signers/{bob}/signing-link", expect=409))["code"] == "invalid_state"


async def test_editing_after_send_is_refused(stack):
    envelope_id, _ = await api.create_envelope(stack)
    await api.add_signer(stack, envelope_id, "Ada")
    await api.send(stack, envelope_id)
    refused = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/signers", json={"name": "Eve", "email": "eve@example.com"}, headers=stack.headers
    )
    assert "only a draft" in api.problem(refused, 409)["detail"]


async def test_listing_pages_through_every_envelope_once(stack):
    created = [(await api.post(stack, "/v1/envelopes", {"subject": f"E{n}"}))["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await stack.client.get("/v1/envelopes", params=query, headers=stack.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 5
    drafts = (await stack.client.get("/v1/envelopes", params={"status": "sent"}, headers=stack.headers)).json()
    assert drafts["items"] == []


async def test_the_openapi_schema_and_health_are_served(stack):
    schema = (await stack.client.get("/schema/openapi.json")).json()
    assert "/v1/envelopes" in schema["paths"]
    assert (await stack.client.get("/health")).json() == {"status": "ok"}
    assert (await stack.client.get("/ready")).status_code == 200
    page = await stack.client.get("/sign/some-token")  # the signer's page, for a link nobody sent
    assert page.status_code == 404 and "This signing link does not exist" in page.text


async def test_schema_component_names_are_the_plain_struct_names(stack):
    # Two structs of one name in different modules make Litestar prefix both with their
    # module (schemas_SignerOut), renaming what generated clients already use.
    components = (await stack.client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert {"SignerOut", "EnvelopeOut", "VerificationReportOut"} <= set(components)
    assert not [name for name in components if "schemas_" in name], sorted(components)
