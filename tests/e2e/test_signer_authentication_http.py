"""A recipient's authentication over HTTP, on the embedded default: an emailed code through a real SMTP
server, an SMS code through the file sink, an access code, lockout and the sender's unlock, embedded links."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import api
from tests.smtp_server import SmtpServer, smtp_server
from tests.stack import Stack, serve, settings_for

CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
async def mail_and_stack(tmp_path: Path) -> AsyncIterator[tuple[SmtpServer, Stack]]:
    with smtp_server() as mail:
        settings = settings_for(tmp_path / "data", UNDERSIGN_SMTP_URL=f"smtp://{mail.host}:{mail.port}")
        async with serve(settings) as stack:
            yield mail, stack


async def recipient(stack: Stack, **authentication: str) -> tuple[str, str, str, str]:
    """A sent envelope whose one signer authenticates as told: (envelope, document, signer, their link's token)."""
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace", authentication=authentication)
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    return envelope_id, document_id, ada, await api.signing_token(stack, envelope_id, ada)


async def emailed_code(mail: SmtpServer, address: str, count: int = 1, timeout: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        codes = [m for m in mail.received() if m["To"] == address and m["Subject"].startswith("Your code to sign")]
        if len(codes) >= count:
            return CODE.search(codes[-1].get_body(("plain",)).get_content()).group(1)
        assert asyncio.get_running_loop().time() < deadline, [m["Subject"] for m in mail.received()]
        await asyncio.sleep(0.05)


def pass_cookie(response) -> dict[str, str]:
    """The pass the server set, sent back as a browser would (the test client speaks plain http to an https
    installation, so it would not send a Secure cookie by itself)."""
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie.replace("Lax", "lax") and "Secure" in set_cookie
    name_value = set_cookie.split(";", 1)[0]
    return {"Cookie": name_value}


async def test_an_emailed_code_opens_the_envelope_and_is_the_signatures_evidence(mail_and_stack) -> None:
    mail, stack = mail_and_stack
    envelope_id, document_id, ada, token = await recipient(stack, method="email_otp")

    closed = (await stack.client.get(f"/v1/signing/{token}")).json()
    assert closed["authentication"] == {
        "method": "email_otp", "passed": False, "locked": False, "destination": "a•••@example.com",
        "code_sent": False, "attempts_left": 5,
    }
    assert closed["documents"] == [] and closed["fields"] == [] and closed["can_sign"] is False
    assert closed["signer"]["email"] == "a•••@example.com" and closed["signer"]["name"] == "" and closed["message"] == ""
    refused = await stack.client.get(f"/v1/signing/{token}/documents/{document_id}/content")
    api.problem(refused, 401, "signer_authentication_required")
    api.problem(
        await stack.client.post(f"/v1/signing/{token}/sign", json={"signature": {"kind": "typed", "text": "Ada"}, "consent": True}),
        401, "signer_authentication_required",
    )

    sent = await stack.client.post(f"/v1/signing/{token}/authentication/code")
    assert sent.status_code == 202 and sent.json()["code_sent"] is True
    api.problem(await stack.client.post(f"/v1/signing/{token}/authentication/code"), 429, "too_many_requests")
    code = await emailed_code(mail, "ada.lovelace@example.com")

    wrong = await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": "99999x"})
    assert api.problem(wrong, 401, "wrong_code")["attempts_left"] == 4
    passed = await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": code})
    assert passed.status_code == 200 and passed.json()["passed"] is True
    cookie = pass_cookie(passed)

    opened = (await stack.client.get(f"/v1/signing/{token}", headers=cookie)).json()
    assert opened["authentication"]["passed"] and opened["can_sign"] and len(opened["documents"]) == 1
    content = await stack.client.get(f"/v1/signing/{token}/documents/{document_id}/content", headers=cookie)
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    body = {"signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True}
    signed = await stack.client.post(f"/v1/signing/{token}/sign", json=body, headers=cookie)
    assert signed.status_code == 200, signed.text

    trail = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    types = [event["type"] for event in trail["events"]]
    assert types.index("SignerCodeSent") < types.index("SignerAuthenticated") < types.index("SignerSigned")
    assert "SignerAuthenticationFailed" in types
    signed_event = next(event for event in trail["events"] if event["type"] == "SignerSigned")
    assert signed_event["data"]["auth_method"] == "email_otp"
    assert code not in json.dumps(trail)  # codes are kept hashed, never in the evidence


async def test_a_pass_is_sealed_and_bound_to_its_link(mail_and_stack) -> None:
    mail, stack = mail_and_stack
    envelope_id, document_id, ada, token = await recipient(stack, method="email_otp")
    await stack.client.post(f"/v1/signing/{token}/authentication/code")
    passed = await stack.client.post(
        f"/v1/signing/{token}/authentication", json={"code": await emailed_code(mail, "ada.lovelace@example.com")}
    )
    cookie = pass_cookie(passed)
    name, value = cookie["Cookie"].split("=", 1)
    tampered = {"Cookie": f"{name}={value[:-4]}{'AAAA' if not value.endswith('AAAA') else 'BBBB'}"}
    assert (await stack.client.get(f"/v1/signing/{token}", headers=tampered)).json()["authentication"]["passed"] is False

    fresh = await api.signing_token(stack, envelope_id, ada)  # a new link: the pass earned on the old one is no key
    assert (await stack.client.get(f"/v1/signing/{fresh}", headers=cookie)).json()["authentication"]["passed"] is False


async def test_wrong_access_codes_lock_the_recipient_until_the_sender_unlocks_them(mail_and_stack) -> None:
    _, stack = mail_and_stack
    envelope_id, _, ada, token = await recipient(stack, method="access_code", access_code="blue-harbour-7")
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert envelope["signers"][0]["authentication"] == "access_code"
    assert "blue-harbour-7" not in json.dumps(envelope)
    api.problem(await stack.client.post(f"/v1/signing/{token}/authentication/code"), 409, "invalid_state")

    for left in (4, 3, 2, 1):
        wrong = await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": f"guess-{left}"})
        assert api.problem(wrong, 401, "wrong_code")["attempts_left"] == left
    api.problem(await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": "guess-0"}), 403, "signer_locked")
    api.problem(
        await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": "blue-harbour-7"}), 403, "signer_locked"
    )
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert envelope["signers"][0]["locked"] is True

    unlocked = await stack.client.post(f"/v1/envelopes/{envelope_id}/signers/{ada}/unlock", headers=stack.headers)
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
    passed = await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": "blue-harbour-7"})
    assert passed.status_code == 200 and passed.json()["passed"] is True


async def test_an_sms_code_goes_through_the_file_sink_of_the_embedded_default(mail_and_stack) -> None:
    _, stack = mail_and_stack
    _, _, _, token = await recipient(stack, method="sms_otp", phone="+44 20 7946 0123")
    sent = await stack.client.post(f"/v1/signing/{token}/authentication/code")
    assert sent.status_code == 202 and sent.json()["destination"] == "•••• 0123"
    (message,) = [json.loads(p.read_text()) for p in stack.settings.sms_dir.glob("*.json")]
    assert message["to"] == "+442079460123"
    code = CODE.search(message["text"]).group(1)
    passed = await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": code})
    assert passed.status_code == 200


async def test_an_embedded_link_needs_no_code_and_its_evidence_names_the_senders_authentication(mail_and_stack) -> None:
    _, stack = mail_and_stack
    envelope_id, _, ada, _ = await recipient(stack, method="email_otp")
    refused = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", headers=stack.headers,
        json={"embedded_authentication": "Acme portal single sign-on"},
    )
    api.problem(refused, 403, "forbidden")  # the tenant's policy does not allow it

    await api.allow_embedded_signing(stack)
    envelope_id, _, ada, _ = await recipient(stack, method="email_otp")
    issued = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", headers=stack.headers,
        json={"embedded_authentication": "Acme portal single sign-on, after a second factor at the portal's own login"},
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert (await stack.client.get(f"/v1/signing/{token}")).json()["authentication"]["passed"] is True
    await api.sign(stack, token, "Ada Lovelace")
    trail = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    signed = next(event for event in trail["events"] if event["type"] == "SignerSigned")
    assert signed["data"]["auth_method"] == (
        "embedded: Acme portal single sign-on, after a second factor at the portal's own login"
    )


async def test_a_recipients_authentication_is_checked_when_they_are_added(mail_and_stack) -> None:
    _, stack = mail_and_stack
    envelope_id, _ = await api.create_envelope(stack, pages=1)
    for authentication, code in (
        ({"method": "access_code"}, "invalid_input"),
        ({"method": "access_code", "access_code": "12345"}, "malformed_request"),
        ({"method": "sms_otp", "phone": "0207 946 0123 x"}, "invalid_input"),
        ({"method": "carrier_pigeon"}, "malformed_request"),
    ):
        response = await stack.client.post(
            f"/v1/envelopes/{envelope_id}/signers", headers=stack.headers,
            json={"name": "Ada", "email": "ada@example.com", "authentication": authentication},
        )
        api.problem(response, 422 if code == "invalid_input" else 400, code)


async def test_the_policys_method_applies_unless_the_sender_chose_another_for_a_recipient(mail_and_stack) -> None:
    mail, stack = mail_and_stack
    policy = await api.post(stack, "/v1/policies", {"name": "Codes by email", "signer_auth": "email_otp"})
    envelope = await api.post(stack, "/v1/envelopes", {"subject": "Lease agreement", "policy_id": policy["id"]})
    envelope_id = envelope["id"]
    upload = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/documents", headers=stack.headers,
        files={"file": ("lease.pdf", api.make_pdf(pages=1), "application/pdf")},
    )
    document_id = upload.json()["id"]
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")  # the policy's method
    bob = await api.add_signer(  # the sender asks more of Bob than the policy does (never less)
        stack, envelope_id, "Bob Babbage", authentication={"method": "sms_otp", "phone": "+442079460123"}
    )
    for signer in (ada, bob):
        await api.place(stack, envelope_id, document_id, signer, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)

    ada_link, bob_link = [await api.signing_token(stack, envelope_id, s) for s in (ada, bob)]
    assert (await stack.client.get(f"/v1/signing/{ada_link}")).json()["authentication"]["method"] == "email_otp"
    assert (await stack.client.get(f"/v1/signing/{bob_link}")).json()["authentication"] == {
        "method": "sms_otp", "passed": False, "locked": False, "destination": "•••• 0123", "code_sent": False,
        "attempts_left": 5,
    }
