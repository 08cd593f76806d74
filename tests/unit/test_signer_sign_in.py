"""A recipient's authentication state, and recipients who sign in at an identity provider, on fakes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.test_signer_authentication import last_code, recipient
from undersign.application.access.identity_ports import SignInRejected, VerifiedSignIn
from undersign.application.envelopes.recipients import UnlockSigner
from undersign.application.envelopes.void import VoidEnvelope
from undersign.application.shared.errors import EnvelopeClosed, LinkExpired, SignerLocked, WrongCode
from undersign.application.signing.signer_authentication import AuthenticationState, SignerPass
from undersign.domain.errors import InvalidState, NotFound
from undersign.domain.policy import SignerAuth

IDP = "https://login.idp.test"
AUTHORIZE = "https://login.idp.test/authorize?state=s1"


class FakeSignInProvider:
    """An identity provider that vouches for `vouches` when brought back the pending sign-in it began."""

    key = "oidc:recipients"
    metadata = None

    def __init__(self, email: str | None = "ada@example.com") -> None:
        self.vouches = VerifiedSignIn(issuer=IDP, subject="sub-ada", tenant_slug="acme", email=email)
        self.begun = 0
        self.finished: list[tuple[bytes, dict[str, str]]] = []

    async def begin(self) -> tuple[str, bytes]:
        self.begun += 1
        return AUTHORIZE, b"pending-1"

    async def finish(self, pending: bytes, answer: Mapping[str, str]) -> VerifiedSignIn:
        self.finished.append((pending, dict(answer)))
        if pending != b"pending-1" or answer.get("state") != "s1":
            raise SignInRejected("state_mismatch", "this is not the answer to a sign-in we started")
        return self.vouches


@pytest.fixture
def provider(platform) -> FakeSignInProvider:
    provider = FakeSignInProvider()
    platform.signer_sign_in = provider  # before the use case is first made
    return provider


def audit(platform, envelope_id) -> list:
    return platform.db.audit[envelope_id]


def types(platform, envelope_id) -> list[str]:
    return [entry.type for entry in audit(platform, envelope_id)]


async def lock_by_sign_ins(platform, token) -> None:
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as wrong:
            await platform.signer_authentication.pass_sign_in(token, verified_email="eve@example.com", issuer=IDP)
        assert wrong.value.attempts_left == left
    with pytest.raises(SignerLocked):
        await platform.signer_authentication.pass_sign_in(token, verified_email="eve@example.com", issuer=IDP)


# -- state ----------------------------------------------------------------------------------


async def test_a_link_only_recipient_has_passed_already(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.LINK)
    state = await platform.signer_authentication.state(token, None)
    assert state == AuthenticationState(
        method=SignerAuth.LINK, passed=True, locked=False, destination=None, code_sent=False, attempts_left=5
    )


async def test_an_email_recipients_state_follows_their_code_and_their_pass(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    before = await platform.signer_authentication.state(token, None)
    assert before == AuthenticationState(
        method=SignerAuth.EMAIL_OTP, passed=False, locked=False, destination="a•••@example.com", code_sent=False,
        attempts_left=5,
    )
    await platform.signer_authentication.send_code(token)
    assert (await platform.signer_authentication.state(token, None)).code_sent
    with pytest.raises(WrongCode):
        await platform.signer_authentication.verify(token, "000000")
    after_a_miss = await platform.signer_authentication.state(token, None)
    assert (after_a_miss.attempts_left, after_a_miss.passed, after_a_miss.code_sent) == (4, False, True)

    signer_pass = await platform.signer_authentication.verify(token, last_code(platform))
    state = await platform.signer_authentication.state(token, signer_pass)
    assert (state.passed, state.code_sent, state.attempts_left) == (True, False, 5)  # the code is used up
    assert not (await platform.signer_authentication.state(token, None)).passed


async def test_a_code_is_outstanding_until_its_tenth_minute(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    platform.clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
    assert (await platform.signer_authentication.state(token, None)).code_sent
    platform.clock.advance(timedelta(seconds=1))
    assert not (await platform.signer_authentication.state(token, None)).code_sent


async def test_an_sms_recipients_destination_is_their_masked_phone(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.SMS_OTP, phone="+44 20 7946 0123")
    state = await platform.signer_authentication.state(token, None)
    assert (state.method, state.destination, state.passed) == (SignerAuth.SMS_OTP, "•••• 0123", False)


async def test_a_phone_is_no_destination_for_a_recipient_who_authenticates_otherwise(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.OIDC, phone="+44 20 7946 0123")
    state = await platform.signer_authentication.state(token, None)
    assert (state.method, state.destination) == (SignerAuth.OIDC, None)


async def test_a_pass_counts_only_on_its_link_for_its_method_and_for_an_hour(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    await platform.signer_authentication.send_code(token)
    signer_pass = await platform.signer_authentication.verify(token, last_code(platform))
    assert signer_pass == SignerPass(
        link_id=signer_pass.link_id, signer_id=signer_pass.signer_id, method=SignerAuth.EMAIL_OTP,
        at=platform.clock.now(),
    )
    for other in (
        replace(signer_pass, link_id="link-x"), replace(signer_pass, signer_id="signer-x"),
        replace(signer_pass, method=SignerAuth.ACCESS_CODE),
        replace(signer_pass, at=platform.clock.now() + timedelta(seconds=1)),  # not earned yet
    ):
        assert not (await platform.signer_authentication.state(token, other)).passed
    platform.clock.advance(timedelta(minutes=59, seconds=59))
    assert (await platform.signer_authentication.state(token, signer_pass)).passed
    platform.clock.advance(timedelta(seconds=1))
    assert not (await platform.signer_authentication.state(token, signer_pass)).passed


async def test_a_locked_recipients_state_says_so(platform, caller, provider):
    _, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    await lock_by_sign_ins(platform, token)
    state = await platform.signer_authentication.state(token, None)
    assert (state.method, state.locked, state.passed, state.attempts_left, state.destination) == (
        SignerAuth.OIDC, True, False, 0, None
    )


async def test_no_state_through_a_link_that_is_closed_or_gone(platform, caller):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    with pytest.raises(NotFound):
        await platform.signer_authentication.state("no-such-token", None)
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="wrong party"))
    with pytest.raises(EnvelopeClosed):
        await platform.signer_authentication.state(token, None)


async def test_no_state_through_an_expired_link(platform, caller):
    _, _, token = await recipient(platform, caller, SignerAuth.EMAIL_OTP)
    platform.clock.advance(timedelta(days=7))
    with pytest.raises(LinkExpired):
        await platform.signer_authentication.state(token, None)


# -- begin_sign_in --------------------------------------------------------------------------


async def test_an_oidc_recipient_is_sent_to_the_provider(platform, caller, provider):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    assert await platform.signer_authentication.begin_sign_in(token) == (AUTHORIZE, b"pending-1")
    assert provider.begun == 1
    assert "SignerAuthenticated" not in types(platform, envelope_id)


async def test_only_an_oidc_recipient_signs_in(platform, caller, provider):
    for method in (SignerAuth.LINK, SignerAuth.EMAIL_OTP):
        _, _, token = await recipient(platform, caller, method)
        with pytest.raises(InvalidState, match=f"authenticates by {method.value}, not by signing in") as refused:
            await platform.signer_authentication.begin_sign_in(token)
        assert refused.value.code == "invalid_state"
    assert provider.begun == 0


async def test_a_locked_oidc_recipient_is_not_sent_to_sign_in_until_unlocked(platform, caller, provider):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.OIDC)
    await lock_by_sign_ins(platform, token)
    with pytest.raises(SignerLocked) as refused:
        await platform.signer_authentication.begin_sign_in(token)
    assert refused.value.code == "signer_locked" and provider.begun == 0
    assert str(refused.value) == (
        "too many failed sign-ins: ask the sender to let you in again or to send you a new link"
    )

    await platform.unlock_signer(UnlockSigner(caller=caller, envelope_id=envelope_id, signer_id=signer_id))
    assert await platform.signer_authentication.begin_sign_in(token) == (AUTHORIZE, b"pending-1")


async def test_no_sign_in_through_a_closed_envelope(platform, caller, provider):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="wrong party"))
    with pytest.raises(EnvelopeClosed):
        await platform.signer_authentication.begin_sign_in(token)
    with pytest.raises(EnvelopeClosed):
        await platform.signer_authentication.finish_sign_in(token, b"pending-1", {"state": "s1"})
    assert provider.begun == 0


async def test_without_a_provider_no_recipient_signs_in(platform, caller):
    assert platform.signer_sign_in is None
    _, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    with pytest.raises(InvalidState) as refused:
        await platform.signer_authentication.begin_sign_in(token)
    assert str(refused.value) == "this installation offers recipients no sign-in: the operator names none"
    with pytest.raises(InvalidState, match="operator names none"):
        await platform.signer_authentication.finish_sign_in(token, b"pending-1", {"state": "s1"})


# -- finish_sign_in -------------------------------------------------------------------------


async def test_the_providers_answer_for_the_recipients_email_is_a_pass(platform, caller, provider):
    envelope_id, signer_id, token = await recipient(platform, caller, SignerAuth.OIDC)
    signer_pass = await platform.signer_authentication.finish_sign_in(token, b"pending-1", {"state": "s1", "code": "c"})
    assert provider.finished == [(b"pending-1", {"state": "s1", "code": "c"})]
    assert signer_pass.signer_id == signer_id and signer_pass.method is SignerAuth.OIDC
    assert signer_pass.at == platform.clock.now()
    assert (await platform.signer_authentication.state(token, signer_pass)).passed
    [entry] = [e for e in audit(platform, envelope_id) if e.type == "SignerAuthenticated"]
    assert (entry.data["method"], entry.data["detail"], entry.actor) == ("oidc", IDP, f"signer:{signer_id}")


async def test_the_providers_refusal_is_the_recipients_and_costs_no_attempt(platform, caller, provider):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    with pytest.raises(SignInRejected) as refused:
        await platform.signer_authentication.finish_sign_in(token, b"pending-2", {"state": "s1"})
    assert refused.value.reason == "state_mismatch"
    assert "SignerAuthenticationFailed" not in types(platform, envelope_id)
    assert (await platform.signer_authentication.state(token, None)).attempts_left == 5


async def test_someone_elses_account_is_a_wrong_answer(platform, caller, provider):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    provider.vouches = replace(provider.vouches, email="eve@example.com")
    with pytest.raises(WrongCode, match="not this recipient's email address") as wrong:
        await platform.signer_authentication.finish_sign_in(token, b"pending-1", {"state": "s1"})
    assert wrong.value.attempts_left == 4 and wrong.value.code == "wrong_code"
    [failed] = [e for e in audit(platform, envelope_id) if e.type == "SignerAuthenticationFailed"]
    assert (failed.data["method"], failed.data["failed_attempts"]) == ("oidc", 1)


async def test_an_account_without_a_verified_email_is_a_wrong_answer(platform, caller, provider):
    _, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    provider.vouches = replace(provider.vouches, email=None)
    with pytest.raises(WrongCode):
        await platform.signer_authentication.finish_sign_in(token, b"pending-1", {"state": "s1"})


# -- pass_sign_in ---------------------------------------------------------------------------


async def test_a_sign_in_is_refused_to_a_recipient_who_authenticates_otherwise(platform, caller):
    for method in (SignerAuth.LINK, SignerAuth.EMAIL_OTP):
        envelope_id, _, token = await recipient(platform, caller, method)
        with pytest.raises(InvalidState, match=f"authenticates by {method.value}"):
            await platform.signer_authentication.pass_sign_in(token, verified_email="ada@example.com", issuer=IDP)
        assert not {"SignerAuthenticated", "SignerAuthenticationFailed"} & set(types(platform, envelope_id))


async def test_the_verified_email_matches_whatever_its_case_and_spaces(platform, caller):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    signer_pass = await platform.signer_authentication.pass_sign_in(
        token, verified_email="  Ada@Example.COM ", issuer="https://other-idp.test"
    )
    assert signer_pass.method is SignerAuth.OIDC
    [entry] = [e for e in audit(platform, envelope_id) if e.type == "SignerAuthenticated"]
    assert entry.data["detail"] == "https://other-idp.test"


async def test_an_empty_or_absent_email_never_matches(platform, caller):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    for email in (None, "", "ada@example.co"):
        with pytest.raises(WrongCode, match="not this recipient's email address"):
            await platform.signer_authentication.pass_sign_in(token, verified_email=email, issuer=IDP)
    assert types(platform, envelope_id).count("SignerAuthenticationFailed") == 3
    assert (await platform.signer_authentication.state(token, None)).attempts_left == 2


async def test_five_wrong_sign_ins_lock_the_recipient_even_against_the_right_one(platform, caller):
    envelope_id, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    await lock_by_sign_ins(platform, token)
    with pytest.raises(SignerLocked):
        await platform.signer_authentication.pass_sign_in(token, verified_email="ada@example.com", issuer=IDP)
    kinds = types(platform, envelope_id)
    assert kinds.count("SignerAuthenticationFailed") == 5 and kinds.count("SignerLocked") == 1
    assert "SignerAuthenticated" not in kinds


async def test_a_sign_in_pass_is_as_good_as_a_code_many_times_over(platform, caller):
    """A sign-in is not single use: signing in again gives a new pass, the attempts stay whole."""
    _, _, token = await recipient(platform, caller, SignerAuth.OIDC)
    first = await platform.signer_authentication.pass_sign_in(token, verified_email="ada@example.com", issuer=IDP)
    platform.clock.advance(timedelta(minutes=5))
    second = await platform.signer_authentication.pass_sign_in(token, verified_email="ada@example.com", issuer=IDP)
    assert second.at - first.at == timedelta(minutes=5) and second.link_id == first.link_id
