"""A recipient's act sent again over HTTP, as a client does when an answer is lost: without a key
it is answered as the first was and recorded once; with an Idempotency-Key the first answer is
replayed; another act after it is refused with a code that says what was done."""

from __future__ import annotations

import asyncio
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader

from tests.e2e import api
from tests.e2e.test_signer_authentication_http import pass_cookie
from tests.stack import Stack

SIGNATURE = {"signature": {"kind": "typed", "text": "Bob Babbage"}, "consent": True}


async def two_signers(stack: Stack) -> tuple[str, str, str]:
    """A sent parallel envelope of Ada and Bob; Ada has signed. (envelope, Ada's token, Bob's token)"""
    envelope_id, document_id = await api.create_envelope(stack, routing="parallel", pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    bob = await api.add_signer(stack, envelope_id, "Bob Babbage")
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.place(stack, envelope_id, document_id, bob, "signature", 1, 72, 500)
    await api.send(stack, envelope_id)
    ada_token, bob_token = [await api.signing_token(stack, envelope_id, s) for s in (ada, bob)]
    await api.sign(stack, ada_token, "Ada Lovelace")
    return envelope_id, ada_token, bob_token


async def audit_types(stack: Stack, envelope_id: str) -> list[str]:
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    return [e["type"] for e in audit["events"]]


async def test_the_last_signature_sent_twice_is_answered_twice_as_completed_and_made_once(stack: Stack) -> None:
    envelope_id, _, bob = await two_signers(stack)

    first = await stack.client.post(f"/v1/signing/{bob}/sign", json=SIGNATURE)
    again = await stack.client.post(f"/v1/signing/{bob}/sign", json=SIGNATURE)

    assert first.status_code == again.status_code == 200
    assert first.json()["envelope_status"] == again.json()["envelope_status"] == "completed"
    assert first.json()["signer"]["status"] == again.json()["signer"]["status"] == "signed"
    assert again.json()["signer"]["acted_at"] == first.json()["signer"]["acted_at"]
    types = await audit_types(stack, envelope_id)
    assert types.count("SignerSigned") == 2 and types.count("EnvelopeCompleted") == 1
    sealed = await api.until_sealed(stack, envelope_id)
    pdf = await api.final_pdf(stack, envelope_id, sealed["documents"][0]["id"])
    assert len(PdfFileReader(BytesIO(pdf)).embedded_regular_signatures) == 3  # Ada's, Bob's, the platform's seal


async def test_concurrent_copies_of_one_signature_make_it_once(stack: Stack) -> None:
    envelope_id, _, bob = await two_signers(stack)

    answers = await asyncio.gather(*(stack.client.post(f"/v1/signing/{bob}/sign", json=SIGNATURE) for _ in range(3)))

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert (await audit_types(stack, envelope_id)).count("SignerSigned") == 2


async def test_with_an_idempotency_key_the_first_answer_is_replayed(stack: Stack) -> None:
    envelope_id, _, bob = await two_signers(stack)
    key = {"Idempotency-Key": "sign-bob-1"}

    first = await stack.client.post(f"/v1/signing/{bob}/sign", json=SIGNATURE, headers=key)
    again = await stack.client.post(f"/v1/signing/{bob}/sign", json=SIGNATURE, headers=key)
    other = await stack.client.post(f"/v1/signing/{bob}/sign", json={**SIGNATURE, "consent": False}, headers=key)

    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    api.problem(other, 422, "idempotency_key_reused")
    assert (await audit_types(stack, envelope_id)).count("SignerSigned") == 2


async def test_another_act_after_a_signature_is_refused_with_what_was_done(stack: Stack) -> None:
    envelope_id, ada, _ = await two_signers(stack)

    other_signature = await stack.client.post(f"/v1/signing/{ada}/sign", json=SIGNATURE)
    decline = await stack.client.post(f"/v1/signing/{ada}/decline", json={"reason": "changed my mind"})

    assert "another signature" in api.problem(other_signature, 409, "already_signed")["detail"]
    api.problem(decline, 409, "already_signed")
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert envelope["status"] == "sent"


async def test_a_decline_sent_again_is_answered_as_the_first_even_though_the_envelope_closed(stack: Stack) -> None:
    envelope_id, _, bob = await two_signers(stack)
    reason = {"reason": "the rate is wrong"}

    first = await stack.client.post(f"/v1/signing/{bob}/decline", json=reason)
    again = await stack.client.post(f"/v1/signing/{bob}/decline", json=reason)
    keyed = await stack.client.post(f"/v1/signing/{bob}/decline", json=reason, headers={"Idempotency-Key": "d-1"})
    other_reason = await stack.client.post(f"/v1/signing/{bob}/decline", json={"reason": "another one"})
    sign_now = await stack.client.post(f"/v1/signing/{bob}/sign", json=SIGNATURE)

    assert first.status_code == again.status_code == keyed.status_code == 200
    assert first.json()["envelope_status"] == again.json()["envelope_status"] == "declined"
    api.problem(other_reason, 409, "already_declined")
    api.problem(sign_now, 410, "envelope_closed")
    assert (await audit_types(stack, envelope_id)).count("SignerDeclined") == 1


async def test_a_stored_answer_is_replayed_only_to_whoever_passed_the_links_authentication(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace",
                               authentication={"method": "access_code", "access_code": "blue-harbour-7"})
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = await api.signing_token(stack, envelope_id, ada)
    passed = await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": "blue-harbour-7"})
    key = {"Idempotency-Key": "sign-ada-1"}
    body = {"signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True}
    signed = await stack.client.post(f"/v1/signing/{token}/sign", json=body, headers={**key, **pass_cookie(passed)})
    assert signed.status_code == 200 and signed.json()["signer"]["name"] == "Ada Lovelace"
    stack.client.cookies.clear()

    replay_without_pass = await stack.client.post(f"/v1/signing/{token}/sign", json=body, headers=key)

    api.problem(replay_without_pass, 401, "signer_authentication_required")
    assert "Ada Lovelace" not in replay_without_pass.text
