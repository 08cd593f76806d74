"""What a signing link gives its holder on fakes: whose idempotency keys its acts are kept under, and its documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.fakes.system import contents
from tests.unit.flows import envelope_with
from tests.unit.test_signer_authentication import last_code
from undersign.application.access.idempotency import KeyOwner
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink, IssuedLink
from undersign.application.envelopes.void import VoidEnvelope
from undersign.application.shared.errors import (
    EnvelopeClosed,
    LinkExpired,
    LinkRevoked,
    SignerAuthenticationRequired,
    SignerLocked,
    WrongCode,
)
from undersign.application.signing.decline import Decline
from undersign.domain.errors import NotFound
from undersign.domain.policy import SignerAuth

CONTENT = b"%PDF-1.7 pages=2"  # what flows.envelope_with uploads


async def issued(platform, caller, method: SignerAuth, *also: str) -> tuple[str, str, IssuedLink]:
    """A sent envelope whose first signer, Ada, authenticates by `method`, and signers `also` after her:
    (envelope id, document id, Ada's link)."""
    envelope_id, document_id, _ = await envelope_with(platform, caller)
    signer = await platform.add_signer(
        AddSigner(caller=caller, envelope_id=envelope_id, name="Ada", email="ada@example.com", auth_method=method)
    )
    for name in also:
        await platform.add_signer(
            AddSigner(caller=caller, envelope_id=envelope_id, name=name, email=f"{name.lower()}@example.com")
        )
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    link = await platform.create_signing_link(
        CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=signer.id)
    )
    return envelope_id, document_id, link


async def passed(platform, token: str):
    await platform.signer_authentication.send_code(token)
    return await platform.signer_authentication.verify(token, last_code(platform))


async def lock(platform, token: str) -> None:
    await platform.signer_authentication.send_code(token)
    for _ in range(5):
        with pytest.raises((WrongCode, SignerLocked)):
            await platform.signer_authentication.verify(token, "000000")


# -- key_owner ------------------------------------------------------------------------------


async def test_a_link_only_recipients_keys_are_their_links(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.LINK)
    owner = await platform.signing_sessions.key_owner(link.token, None)
    assert owner == KeyOwner(tenant_id=caller.tenant_id, credential_id=f"link:{link.id}")


async def test_each_link_owns_keys_of_its_own(platform, caller):
    envelope_id, _, first = await issued(platform, caller, SignerAuth.LINK, "Bob")
    bob = (await platform.envelope_queries.get(caller, envelope_id))[0].signers[-1]
    second = await platform.create_signing_link(
        CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=bob.id)
    )
    owners = [await platform.signing_sessions.key_owner(link.token, None) for link in (first, second)]
    assert [o.credential_id for o in owners] == [f"link:{first.id}", f"link:{second.id}"]
    assert first.id != second.id


async def test_no_key_owner_before_the_recipient_passed_what_their_link_asks(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.EMAIL_OTP)
    with pytest.raises(SignerAuthenticationRequired) as refused:
        await platform.signing_sessions.key_owner(link.token, None)
    assert refused.value.code == "signer_authentication_required" and "email_otp" in str(refused.value)

    signer_pass = await passed(platform, link.token)
    owner = await platform.signing_sessions.key_owner(link.token, signer_pass)
    assert owner == KeyOwner(tenant_id=caller.tenant_id, credential_id=f"link:{link.id}")


async def test_a_pass_earned_elsewhere_or_too_long_ago_owns_no_keys(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.EMAIL_OTP)
    signer_pass = await passed(platform, link.token)
    for forged in (
        replace(signer_pass, link_id="another-link"), replace(signer_pass, signer_id="another-signer"),
        replace(signer_pass, method=SignerAuth.SMS_OTP),
    ):
        with pytest.raises(SignerAuthenticationRequired):
            await platform.signing_sessions.key_owner(link.token, forged)
    platform.clock.advance(timedelta(hours=1))
    with pytest.raises(SignerAuthenticationRequired):
        await platform.signing_sessions.key_owner(link.token, signer_pass)


async def test_a_locked_recipient_owns_no_keys(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.EMAIL_OTP)
    await lock(platform, link.token)
    with pytest.raises(SignerLocked) as refused:
        await platform.signing_sessions.key_owner(link.token, None)
    assert refused.value.code == "signer_locked"
    assert str(refused.value) == "too many wrong codes: ask the sender to let you in again or to send you a new link"


async def test_a_closed_envelope_still_names_the_owner_of_a_declines_answer(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.LINK)
    await platform.decline(Decline(token=link.token, reason="no"))
    with pytest.raises(EnvelopeClosed):
        await platform.signing_sessions.open(link.token)
    owner = await platform.signing_sessions.key_owner(link.token, None)
    assert owner == KeyOwner(tenant_id=caller.tenant_id, credential_id=f"link:{link.id}")


async def test_a_link_that_is_gone_owns_no_keys(platform, caller):
    envelope_id, _, link = await issued(platform, caller, SignerAuth.LINK)
    with pytest.raises(NotFound):
        await platform.signing_sessions.key_owner("not-a-token", None)

    signer_id = next(stored.signer_id for stored in platform.db.links.values() if stored.id == link.id)
    fresh = await platform.create_signing_link(
        CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=signer_id)
    )
    with pytest.raises(LinkRevoked):
        await platform.signing_sessions.key_owner(link.token, None)

    platform.clock.advance(timedelta(days=7))
    with pytest.raises(LinkExpired):
        await platform.signing_sessions.key_owner(fresh.token, None)


async def test_a_link_just_before_its_expiry_still_owns_its_keys(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.LINK)
    platform.clock.current = link.expires_at - timedelta(seconds=1)
    assert (await platform.signing_sessions.key_owner(link.token, None)).credential_id == f"link:{link.id}"


# -- document_content -----------------------------------------------------------------------


async def test_a_link_only_recipient_reads_their_document(platform, caller):
    envelope_id, document_id, link = await issued(platform, caller, SignerAuth.LINK)
    document = await platform.signing_sessions.document_content(link.token, document_id)
    (envelope, [recorded]) = await platform.envelope_queries.get(caller, envelope_id)
    assert (recorded.id, document.blob_key, document.sha256) == (document_id, recorded.current.blob_key, recorded.current.sha256)
    assert await contents(document) == CONTENT == platform.blob_store.blobs[document.blob_key]


async def test_no_document_before_the_recipient_passed_what_their_link_asks(platform, caller):
    _, document_id, link = await issued(platform, caller, SignerAuth.EMAIL_OTP)
    with pytest.raises(SignerAuthenticationRequired):
        await platform.signing_sessions.document_content(link.token, document_id)
    signer_pass = await passed(platform, link.token)
    with pytest.raises(SignerAuthenticationRequired):
        await platform.signing_sessions.document_content(link.token, document_id, replace(signer_pass, link_id="other"))

    document = await platform.signing_sessions.document_content(link.token, document_id, signer_pass)
    assert await contents(document) == CONTENT


async def test_a_locked_recipient_reads_no_document(platform, caller):
    _, document_id, link = await issued(platform, caller, SignerAuth.EMAIL_OTP)
    await lock(platform, link.token)
    with pytest.raises(SignerLocked):
        await platform.signing_sessions.document_content(link.token, document_id)


async def test_a_link_reads_only_its_own_envelopes_documents(platform, caller):
    _, _, link = await issued(platform, caller, SignerAuth.LINK)
    _, elsewhere, _ = await issued(platform, caller, SignerAuth.LINK)
    with pytest.raises(NotFound):
        await platform.signing_sessions.document_content(link.token, elsewhere)
    with pytest.raises(NotFound):
        await platform.signing_sessions.document_content(link.token, "no-such-document")


async def test_a_closed_envelopes_documents_are_not_served(platform, caller):
    envelope_id, document_id, link = await issued(platform, caller, SignerAuth.LINK)
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="wrong party"))
    with pytest.raises(EnvelopeClosed) as refused:
        await platform.signing_sessions.document_content(link.token, document_id)
    assert refused.value.code == "envelope_closed"


async def test_an_expired_link_serves_no_document(platform, caller):
    _, document_id, link = await issued(platform, caller, SignerAuth.LINK)
    platform.clock.current = link.expires_at
    with pytest.raises(LinkExpired):
        await platform.signing_sessions.document_content(link.token, document_id)
