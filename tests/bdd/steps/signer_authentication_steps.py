"""Steps for how signers prove who they are (features/signer_authentication.feature), on the fakes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pytest
from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.lifecycle_steps import World, attempt, envelope, token_for
from undersign.application.envelopes.recipients import AddSigner, UnlockSigner
from undersign.application.envelopes.signing_links import CreateSigningLink
from undersign.application.signing.sessions import SigningSession
from undersign.application.signing.sign import Sign
from undersign.application.signing.signer_authentication import SignerPass
from undersign.domain.policy import SignerAuth
from undersign.domain.signer import Role

CODE = re.compile(r"\b\d{6}\b")


@dataclass
class Ceremony:
    """What each signer holds: their link, the pass they earned, the code that reached them."""

    tokens: dict[str, str] = field(default_factory=dict)
    passes: dict[str, SignerPass] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    session: SigningSession | None = None


@pytest.fixture
def ceremony() -> Ceremony:
    return Ceremony()


def add_signer(world: World, run, name: str, **authentication) -> None:
    command = AddSigner(
        caller=world.caller, envelope_id=world.envelope_id, name=name, email=f"{name.lower()}@example.com",
        role=Role.SIGNER, **authentication,
    )
    world.signers[name] = run(world.platform.add_signer(command)).id


def token(world: World, ceremony: Ceremony, run, name: str) -> str:
    if name not in ceremony.tokens:
        ceremony.tokens[name] = run(token_for(world, name))
    return ceremony.tokens[name]


# -- given --------------------------------------------------------------------------------


@given(parsers.parse('"{name}" is a signer who receives a code by email'))
def signer_with_email_code(world: World, run, name: str) -> None:
    add_signer(world, run, name, auth_method=SignerAuth.EMAIL_OTP)


@given(parsers.parse('"{name}" is a signer who receives a code by text message at "{phone}"'))
def signer_with_sms_code(world: World, run, name: str, phone: str) -> None:
    add_signer(world, run, name, auth_method=SignerAuth.SMS_OTP, phone=phone)


@given(parsers.parse('"{name}" is a signer who receives codes by text message but has no phone number'))
def signer_with_sms_but_no_phone(world: World, run, name: str) -> None:
    add_signer(world, run, name, auth_method=SignerAuth.SMS_OTP)


@given(parsers.parse('"{name}" is a signer with the access code "{code}"'))
def signer_with_access_code(world: World, run, name: str, code: str) -> None:
    add_signer(world, run, name, auth_method=SignerAuth.ACCESS_CODE, access_code=code)


@given("the tenant's policy lets senders' applications check signers themselves")
def policy_allows_embedded(world: World) -> None:
    tenant_id = world.caller.tenant_id
    world.platform.db.policies[tenant_id] = replace(world.platform.db.policies[tenant_id], embedded_signing=True)


@given("the tenant's policy asks signers for a code by text message")
def policy_asks_sms(world: World) -> None:
    tenant_id = world.caller.tenant_id
    world.platform.db.policies[tenant_id] = replace(world.platform.db.policies[tenant_id], signer_auth=SignerAuth.SMS_OTP)


@given(parsers.parse('"{name}" is a signer whose link alone is enough'))
def signer_by_link(world: World, run, name: str) -> None:
    add_signer(world, run, name, auth_method=SignerAuth.LINK)


@given(parsers.parse("\"{name}\" is a signer who signs in at the organisation's identity provider"))
def signer_with_sign_in(world: World, run, name: str) -> None:
    add_signer(world, run, name, auth_method=SignerAuth.OIDC)


# -- when ---------------------------------------------------------------------------------


@when(parsers.parse('"{name}" opens her link'))
def opens_link(world: World, ceremony: Ceremony, run, name: str) -> None:
    ceremony.session = run(world.platform.signing_sessions.open(token(world, ceremony, run, name)))


@when(parsers.parse('"{name}" asks for a code'))
def asks_for_code(world: World, ceremony: Ceremony, run, name: str) -> None:
    run(world.platform.signer_authentication.send_code(token(world, ceremony, run, name)))
    platform = world.platform
    sent = platform.sms_sender.sent[-1].text if platform.sms_sender.sent else platform.mailer.sent[-1].text
    ceremony.codes[name] = CODE.search(sent).group(0)


def answer(world: World, ceremony: Ceremony, run, name: str, code: str) -> None:
    link = token(world, ceremony, run, name)

    async def verify() -> None:
        ceremony.passes[name] = await world.platform.signer_authentication.verify(link, code)

    attempt(world, run, verify())


@when(parsers.parse('"{name}" enters the code she received'))
@when(parsers.parse('"{name}" enters the code she received again'))
def enters_code_received(world: World, ceremony: Ceremony, run, name: str) -> None:
    answer(world, ceremony, run, name, ceremony.codes[name])


@when(parsers.parse('"{name}" enters "{code}" {times:d} times'))
def enters_code_times(world: World, ceremony: Ceremony, run, name: str, code: str, times: int) -> None:
    for _ in range(times):
        answer(world, ceremony, run, name, code)


@when(parsers.parse('"{name}" enters "{code}"'))
def enters_code(world: World, ceremony: Ceremony, run, name: str, code: str) -> None:
    answer(world, ceremony, run, name, code)


@when(parsers.parse('"{name}" signs in as "{email}"'))
def signs_in_as(world: World, ceremony: Ceremony, run, name: str, email: str) -> None:
    link = token(world, ceremony, run, name)

    async def sign_in() -> None:
        ceremony.passes[name] = await world.platform.signer_authentication.pass_sign_in(
            link, verified_email=email, issuer="https://id.acme.example"
        )

    attempt(world, run, sign_in())


@when(parsers.parse('"{name}" signs after passing her check'))
def signs_with_pass(world: World, ceremony: Ceremony, run, name: str) -> None:
    command = Sign(
        token=token(world, ceremony, run, name), field_values={}, signature_text=name, consent=True,
        signer_pass=ceremony.passes.get(name),
    )
    run(world.platform.sign(command))


@when(parsers.parse('the sender lets "{name}" in again'))
def unlocks(world: World, run, name: str) -> None:
    run(world.platform.unlock_signer(UnlockSigner(caller=world.caller, envelope_id=world.envelope_id, signer_id=world.signers[name])))


@when(parsers.parse("the sender's application opens the signing page for \"{name}\", having checked her by \"{how}\""))
def embedded_link(world: World, ceremony: Ceremony, run, name: str, how: str) -> None:
    command = CreateSigningLink(caller=world.caller, envelope_id=world.envelope_id, signer_id=world.signers[name], embedded_by=how)

    async def issue() -> None:
        ceremony.tokens[name] = (await world.platform.create_signing_link(command)).token

    attempt(world, run, issue())


# -- then ---------------------------------------------------------------------------------


def opened(world: World, ceremony: Ceremony, run, name: str) -> SigningSession:
    return run(world.platform.signing_sessions.open(token(world, ceremony, run, name), ceremony.passes.get(name)))


@then(parsers.parse('"{name}" sees the documents'))
def sees_documents(world: World, ceremony: Ceremony, run, name: str) -> None:
    session = opened(world, ceremony, run, name)
    assert session.authentication.passed and len(session.documents) == 1


@then(parsers.parse('"{name}" does not see the documents yet'))
def does_not_see_documents(world: World, ceremony: Ceremony, run, name: str) -> None:
    session = opened(world, ceremony, run, name)
    assert not session.authentication.passed and session.documents == []


@then(parsers.parse('"{name}" cannot sign yet'))
def cannot_sign(world: World, ceremony: Ceremony, run, name: str) -> None:
    command = Sign(token=token(world, ceremony, run, name), field_values={}, signature_text=name, consent=True)
    attempt(world, run, world.platform.sign(command))
    assert world.error is not None and world.error.code == "signer_authentication_required"


@then(parsers.parse('a code reaches "{name}" by email'))
def code_by_email(world: World, ceremony: Ceremony, name: str) -> None:
    mail = world.platform.mailer.sent[-1]
    assert mail.to == f"{name.lower()}@example.com" and ceremony.codes[name] in mail.text
    assert ceremony.codes[name] not in mail.subject


@then(parsers.parse('a code reaches "{name}" by text message at "{phone}"'))
def code_by_sms(world: World, ceremony: Ceremony, name: str, phone: str) -> None:
    message = world.platform.sms_sender.sent[-1]
    assert message.to == phone and ceremony.codes[name] in message.text


@then(parsers.parse('"{name}" is told "{words}"'))
def signer_told(world: World, name: str, words: str) -> None:
    assert world.error is not None, f"{name} was expected to be refused"
    assert words in world.error.detail, world.error.detail


@then(parsers.parse('"{name}" is locked out'))
def locked_out(world: World, ceremony: Ceremony, run, name: str) -> None:
    assert world.error is not None and world.error.code == "signer_locked"
    assert opened(world, ceremony, run, name).authentication.locked


@then(parsers.parse('the evidence of the signature of "{name}" says she was checked by "{method}"'))
def evidence_method(world: World, run, name: str, method: str) -> None:
    assert run(envelope(world)).signer(world.signers[name]).evidence.auth_method == method


async def audit_types(world: World) -> list[str]:
    trail = await world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id)
    return [entry.type for entry in trail.entries]


@then(parsers.parse('the audit trail records that a code went to "{name}" and that she passed her check'))
def audit_code_and_pass(world: World, run, name: str) -> None:
    types = run(audit_types(world))
    assert types.index("SignerCodeSent") < types.index("SignerAuthenticated") < types.index("SignerSigned")


@then(parsers.parse('the audit trail records that "{name}" was locked out after {count:d} failed checks'))
def audit_lock(world: World, run, name: str, count: int) -> None:
    types = run(audit_types(world))
    assert types.count("SignerAuthenticationFailed") == count and types.count("SignerLocked") == 1
