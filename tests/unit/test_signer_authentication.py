"""A recipient's authentication on fakes: codes by email and SMS, access codes, sign-in, lockout, passes."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.flows import envelope_with, link, sign
from undersign.application.envelopes.recipients import AddSigner, UnlockSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink
from undersign.application.shared.errors import (
    CodeExpired,
    Forbidden,
    SignerAuthenticationRequired,
    SignerLocked,
    TooManyRequests,
    WrongCode,
)
from undersign.application.signing.decline import Decline
from undersign.domain.errors import InvalidInput, InvalidState
from undersign.domain.policy import SignerAuth


async def recipient(platform, caller, method: SignerAuth, **auth) -> tuple[str, str, str]:
    """A sent envelope whose only signer authenticates by `method`; (envelope id, signer id, their link)."""
    envelope_id, _, _ = await envelope_with(platform, caller)
    signer = await platform.add_signer(
        AddSigner(
            caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com", auth_method=method, **auth
        )
    )
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    return envelope_id, signer.id, await link(platform, caller, envelope_id, signer.id)


def last_code(platform) -> str:
    sent = platform.mailer.sent[-1].text if platform.mailer.sent else ""
    if platform.sms_sender.sent:
        sent = platform.sms_sender.sent[-1].text
    return re.search(r"\b\d{6}\b", sent).group(0)


async def audit_types(platform, caller, envelope_id) -> list[str]:
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    return [entry.type for entry in trail.entries]


async def test_a_link_only_recipient_needs_nothing_more(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.LINK)
    session = await platform.signing_sessions.open(token)
    assert session.authentication.passed and session.documents and session.can_act


async def test_an_email_code_lets_the_recipient_in_and_is_the_evidence_of_their_signature(platform, caller):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    session = await platform.signing_sessions.open(token)
    assert not session.authentication.passed and session.documents == [] and not session.can_act
    with pytest.raises(SignerAuthenticationRequired):
        await platform.sign(sign(token))

    state = await platform.signing_sessions.open(token)
    assert state.authentication.destination == "a•••@example.com"
    sent = await platform.signer_authentication.send_code(token)
    assert sent.code_sent and platform.mailer.sent[-1].to == "ada@example.com"
    code = last_code(platform)
    assert code not in platform.mailer.sent[-1].subject

    signer_pass = await platform.signer_authentication.verify(token, code)
    session = await platform.signing_sessions.open(token, signer_pass)
    assert session.authentication.passed and session.documents and session.can_act
    envelope = (await platform.sign(sign(token, signer_pass=signer_pass))).envelope
    assert envelope.signer(signer_id).evidence.auth_method == "email_otp"
    types = await audit_types(platform, caller, envelope_id)
    assert types.index("SignerCodeSent") < types.index("SignerAuthenticated") < types.index("SignerSigned")


async def test_a_code_works_once(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    code = last_code(platform)
    await platform.signer_authentication.verify(token, code)
    with pytest.raises(CodeExpired):
        await platform.signer_authentication.verify(token, code)


async def test_a_code_expires_after_its_minutes(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    platform.clock.advance(timedelta(minutes=10))
    with pytest.raises(CodeExpired):
        await platform.signer_authentication.verify(token, last_code(platform))


async def test_a_new_code_waits_a_little_and_replaces_the_last(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    first = last_code(platform)
    with pytest.raises(TooManyRequests) as refused:
        await platform.signer_authentication.send_code(token)
    assert 1 <= refused.value.retry_after_seconds <= 30
    platform.clock.advance(timedelta(seconds=30))
    await platform.signer_authentication.send_code(token)
    assert last_code(platform) != first
    with pytest.raises(WrongCode):
        await platform.signer_authentication.verify(token, first)
    await platform.signer_authentication.verify(token, last_code(platform))


async def test_five_wrong_codes_lock_the_recipient_until_the_sender_unlocks_them(platform, caller):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    code = last_code(platform)
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as wrong:
            await platform.signer_authentication.verify(token, "000000")
        assert wrong.value.attempts_left == left
    with pytest.raises(SignerLocked):
        await platform.signer_authentication.verify(token, "000000")
    with pytest.raises(SignerLocked):  # the right code no longer helps
        await platform.signer_authentication.verify(token, code)
    with pytest.raises(SignerLocked):
        await platform.signer_authentication.send_code(token)
    with pytest.raises(SignerLocked):
        await platform.decline(Decline(token=token, reason="no"))
    types = await audit_types(platform, caller, envelope_id)
    assert types.count("SignerAuthenticationFailed") == 5 and types.count("SignerLocked") == 1

    unlocked = await platform.unlock_signer(UnlockSigner(caller=caller, envelope_id=envelope_id, signer_id=signer_id))
    assert not unlocked.auth.locked
    platform.clock.advance(timedelta(seconds=30))
    await platform.signer_authentication.send_code(token)
    await platform.signer_authentication.verify(token, last_code(platform))
    assert "SignerUnlocked" in await audit_types(platform, caller, envelope_id)


async def test_a_new_link_from_the_sender_lets_a_locked_recipient_in_again(platform, caller):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.ACCESS_CODE, access_code="kiwi-42-door")
    for _ in range(5):
        with pytest.raises((WrongCode, SignerLocked)):
            await platform.signer_authentication.verify(token, "wrong-code")
    fresh = await link(platform, caller, envelope_id, signer_id)
    signer_pass = await platform.signer_authentication.verify(fresh, "kiwi-42-door")
    assert signer_pass.method is SignerAuth.ACCESS_CODE


async def test_an_access_code_is_kept_only_hashed_and_is_not_single_use(platform, caller):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.ACCESS_CODE, access_code="kiwi-42-door")
    stored = (await platform.envelope_queries.get(caller, envelope_id))[0].signer(signer_id).auth
    assert stored.access_code_hash and "kiwi-42-door" not in stored.access_code_hash
    with pytest.raises(WrongCode):
        await platform.signer_authentication.verify(token, "kiwi-42-doo")
    await platform.signer_authentication.verify(token, "kiwi-42-door")
    signer_pass = await platform.signer_authentication.verify(token, "kiwi-42-door")
    envelope = (await platform.sign(sign(token, signer_pass=signer_pass))).envelope
    assert envelope.signer(signer_id).evidence.auth_method == "access_code"


async def test_an_access_code_must_be_given_with_that_method_and_be_long_enough(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller)
    for method, code in ((SignerAuth.ACCESS_CODE, None), (SignerAuth.ACCESS_CODE, "12345"), (SignerAuth.LINK, "long-enough")):
        with pytest.raises(InvalidInput):
            await platform.add_signer(
                AddSigner(caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com",
                          auth_method=method, access_code=code)
            )


async def test_sms_codes_go_to_the_recipients_phone(platform, caller):
    _, signer_id, token = await recipient(platform, caller, SignerAuth.SMS_OTP, phone="+44 20 7946 0123")
    state = await platform.signer_authentication.send_code(token)
    assert state.destination == "•••• 0123"
    assert platform.sms_sender.sent[-1].to == "+442079460123"
    signer_pass = await platform.signer_authentication.verify(token, last_code(platform))
    assert signer_pass.method is SignerAuth.SMS_OTP


async def test_an_envelope_is_not_sent_to_an_sms_recipient_without_a_phone(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller)
    await platform.add_signer(
        AddSigner(caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com", auth_method=SignerAuth.SMS_OTP)
    )
    with pytest.raises(InvalidState, match="phone"):
        await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))


async def test_a_pass_opens_only_the_link_it_was_earned_on_and_only_for_a_while(platform, caller):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    signer_pass = await platform.signer_authentication.verify(token, last_code(platform))
    platform.clock.advance(timedelta(hours=1))
    assert not (await platform.signing_sessions.open(token, signer_pass)).authentication.passed
    fresh = await link(platform, caller, envelope_id, signer_id)
    assert not (await platform.signing_sessions.open(fresh, replace(signer_pass, at=platform.clock.now()))).authentication.passed


def allow(platform, caller, **settings) -> None:
    """The tenant's default policy, with `settings` changed."""
    platform.db.policies[caller.tenant_id] = replace(platform.db.policies[caller.tenant_id], **settings)


async def test_an_embedded_link_is_authenticated_by_the_senders_application(platform, caller):
    allow(platform, caller, embedded_signing=True)
    envelope_id, signer_id, _ = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    issued = await platform.create_signing_link(
        CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=signer_id, embedded_by="Acme portal SSO")
    )
    assert issued.expires_at <= platform.clock.now() + timedelta(minutes=15)  # opened at once, by the sender's app
    session = await platform.signing_sessions.open(issued.token)
    assert session.authentication.passed and session.embedded
    envelope = (await platform.sign(sign(issued.token))).envelope
    assert envelope.signer(signer_id).evidence.auth_method == "embedded: Acme portal SSO"


async def test_embedded_signing_needs_a_policy_that_allows_it(platform, caller):
    envelope_id, signer_id, _ = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    with pytest.raises(Forbidden, match="embedded_signing"):
        await platform.create_signing_link(
            CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=signer_id, embedded_by="Acme portal SSO")
        )


async def test_a_sender_may_ask_more_of_a_recipient_than_the_policy_never_less(platform, caller):
    allow(platform, caller, signer_auth=SignerAuth.SMS_OTP)
    envelope_id, _, _ = await envelope_with(platform, caller)
    await platform.add_signer(
        AddSigner(caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com", auth_method=SignerAuth.LINK)
    )
    with pytest.raises(InvalidState, match="weaker than the sms_otp"):
        await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))

    stronger, _, _ = await envelope_with(platform, caller)
    await platform.add_signer(
        AddSigner(caller=caller, envelope_id=stronger, name="Ada", email="ada@example.com", auth_method=SignerAuth.OIDC)
    )
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=stronger))


async def test_ten_codes_are_all_a_recipient_gets_until_the_sender_lets_them_start_again(platform, caller):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.SMS_OTP, phone="+442079460123")
    for _ in range(10):
        await platform.signer_authentication.send_code(token)
        platform.clock.advance(timedelta(seconds=30))
    with pytest.raises(SignerLocked, match="10 codes were sent already"):
        await platform.signer_authentication.send_code(token)
    assert len(platform.sms_sender.sent) == 10
    await platform.unlock_signer(UnlockSigner(caller=caller, envelope_id=envelope_id, signer_id=signer_id))
    await platform.signer_authentication.send_code(token)
    assert len(platform.sms_sender.sent) == 11


async def test_a_locked_recipients_access_code_is_not_even_checked(platform, caller):
    checked = []
    verify = platform.password_hasher.verify
    platform.password_hasher.verify = lambda stored, code: checked.append(code) or verify(stored, code)
    _, _, token = await recipient(platform, caller, SignerAuth.ACCESS_CODE, access_code="kiwi-42-door")
    for _ in range(5):
        with pytest.raises((WrongCode, SignerLocked)):
            await platform.signer_authentication.verify(token, "wrong-guess")
    with pytest.raises(SignerLocked):
        await platform.signer_authentication.verify(token, "kiwi-42-door")
    assert checked == ["wrong-guess"] * 5


async def test_a_sign_in_passes_only_with_the_recipients_verified_email(platform, caller):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    with pytest.raises(WrongCode):
        await platform.signer_authentication.pass_sign_in(token, verified_email="eve@example.com", issuer="https://idp")
    with pytest.raises(WrongCode):
        await platform.signer_authentication.pass_sign_in(token, verified_email=None, issuer="https://idp")
    signer_pass = await platform.signer_authentication.pass_sign_in(token, verified_email="ADA@example.com", issuer="https://idp")
    assert signer_pass.method is SignerAuth.OIDC
    assert (await audit_types(platform, caller, envelope_id)).count("SignerAuthenticationFailed") == 2


async def test_a_code_is_refused_to_a_recipient_who_authenticates_otherwise(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.LINK)
    with pytest.raises(InvalidState):
        await platform.signer_authentication.send_code(token)
    with pytest.raises(InvalidState):
        await platform.signer_authentication.verify(token, "123456")


def test_the_api_offers_every_method_the_domain_knows_and_no_other():
    from typing import get_args

    from undersign.entrypoints.http.schemas import SignerAuthName

    assert set(get_args(SignerAuthName)) == {method.value for method in SignerAuth}


async def test_the_completed_documents_go_only_to_mailboxes_that_could_have_read_them(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller)
    for name, method, extra in (
        ("Ada", SignerAuth.EMAIL_OTP, {}), ("Bob", SignerAuth.SMS_OTP, {"phone": "+442079460123"}),
    ):
        await platform.add_signer(
            AddSigner(caller=caller, envelope_id=envelope_id, name=name, email=f"{name.lower()}@example.com",
                      routing_order=1, auth_method=method, **extra)
        )
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    envelope, _ = await platform.envelope_queries.get(caller, envelope_id)
    for signer in envelope.signers:
        token = await link(platform, caller, envelope_id, signer.id)
        await platform.signer_authentication.send_code(token)
        signer_pass = await platform.signer_authentication.verify(token, last_code(platform))
        await platform.sign(sign(token, signer_pass=signer_pass))
    await platform.run_background()

    completed = {mail.to: mail for mail in platform.mailer.sent if "complete" in mail.text}
    assert [a.filename for a in completed["ada@example.com"].attachments] == ["lease.pdf"]
    assert completed["bob@example.com"].attachments == ()
    assert "not attached" in completed["bob@example.com"].text


async def test_no_text_message_goes_to_a_recipient_without_a_phone(platform, caller):
    from undersign.domain.signer import Role

    allow(platform, caller, signer_auth=SignerAuth.SMS_OTP)
    envelope_id, _, _ = await envelope_with(platform, caller)
    await platform.add_signer(AddSigner(caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com",
                                        phone="+442079460123"))
    carl = await platform.add_signer(AddSigner(caller=caller, envelope_id=envelope_id, name="Carl", email="carl@example.com",
                                               role=Role.CC))
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))  # a copy needs no phone to be sent
    with pytest.raises(InvalidState, match="no phone number"):
        await platform.signer_authentication.send_code(await link(platform, caller, envelope_id, carl.id))
    assert platform.sms_sender.sent == []
