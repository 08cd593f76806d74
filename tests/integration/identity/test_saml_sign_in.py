"""SAML sign-in against a real identity provider (pysaml2's IdP on loopback), and every way an answer must be refused.

Genuine answers come from the IdP's sign-in endpoint after the adapter's own AuthnRequest
(HTTP-Redirect binding), as a browser would carry them; the test posts the form fields itself.
Attack answers are made from genuine ones: edited after signing (the signature must then fail),
edited and signed again with the IdP's own key (so only the thing under test is wrong), signed
with a key of our own, or rearranged around the signed assertion (XML signature wrapping).
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.people import FakeOneTimeIds
from tests.saml_idp import (
    SamlIdentityProvider,
    SamlUser,
    decoded,
    encoded,
    running_saml_idp,
    signing_key_and_certificate,
)
from undersign.adapters.identity.saml import MAX_RESPONSE_BASE64, SamlServiceProvider
from undersign.adapters.identity.saml_settings import (
    SamlSettingsError,
    parse_saml_providers,
)
from undersign.application.access.identity_ports import SignInRejected, VerifiedSignIn

SP = "https://undersign.test/auth/saml/corp/metadata"
ACS = "https://undersign.test/auth/saml/corp/acs"
EMAIL = "urn:oid:1.2.840.113549.1.9.1.1"  # pysaml2's IdP sends `email` under this Name
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
USERS = {
    "alice": SamlUser(subject="alice-7f3a", email="alice@example.com", name="Alice Zoë Ŝtraße",
                      groups=("staff", "esign-senders", "esign-admins")),
    "bob": SamlUser(subject="bob-11c2", email="bob@example.com", name="Bob", groups=("marketing",)),
}  # fmt: skip
ASSERTION_PATTERN = re.compile(rb"<ns1:Assertion .*?</ns1:Assertion>", re.DOTALL)


@pytest.fixture(scope="module")
def idp() -> Iterator[SamlIdentityProvider]:
    with running_saml_idp(USERS) as provider:
        yield provider


def settings_json(idp: SamlIdentityProvider, **changes: object) -> str:
    provider = {
        "name": "corp", "entity_id": SP, "acs_url": ACS, "metadata_url": SP,
        "idp_metadata_xml": idp.metadata(), "tenant": "acme",
        "attributes": {"email": EMAIL, "name": DISPLAY_NAME, "role": "groups",
                       "role_map": {"esign-admins": "admin", "esign-senders": "sender", "esign-viewers": "viewer"}},
        "xmlsec1": idp.xmlsec1,
        **changes,
    }  # fmt: skip
    return json.dumps([provider])


def service_provider(idp: SamlIdentityProvider, *, now: datetime | None = None) -> SamlServiceProvider:
    (settings,) = parse_saml_providers(settings_json(idp))
    if now is None:
        provider = SamlServiceProvider(settings, one_time_ids=FakeOneTimeIds())
    else:
        provider = SamlServiceProvider(settings, one_time_ids=FakeOneTimeIds(), now=lambda: now)
    idp.register_service_provider(provider.metadata())
    return provider


@pytest.fixture
def sp(idp: SamlIdentityProvider) -> SamlServiceProvider:
    return service_provider(idp)


def sign_in(
    sp: SamlServiceProvider, idp: SamlIdentityProvider, user: str = "alice", **options: str
) -> tuple[bytes, str]:  # fmt: skip
    """The IdP's answer (the Response XML) to a sign-in the SP started, and the SP's request id."""
    redirect, request_id = sp.begin("rs-1")
    return decoded(idp.sign_in(redirect, user=user, **options)), request_id


async def rejected(sp: SamlServiceProvider, xml: bytes | str, request_id: str) -> SignInRejected:
    body = xml if isinstance(xml, str) else encoded(xml)
    with pytest.raises(SignInRejected) as caught:
        await sp.finish(body, request_id=request_id)
    assert "<" not in str(caught.value), "the detail must not echo the XML"
    return caught.value


def signed_assertion(xml: bytes) -> bytes:
    match = ASSERTION_PATTERN.search(xml)
    assert match is not None
    return match.group(0)


def evil_copy(assertion: bytes, *, new_id: str | None = "id-evil") -> bytes:
    """The assertion with its signature removed and another person's NameID (and, unless None, another ID)."""
    evil = re.sub(rb"<ns2:Signature .*?</ns2:Signature>", b"", assertion, flags=re.DOTALL)
    evil = evil.replace(b">alice-7f3a<", b">mallory-0000<").replace(b"alice@example.com", b"mallory@example.com")
    if new_id is not None:
        evil = re.sub(rb'ID="[^"]+"', f'ID="{new_id}"'.encode(), evil, count=1)
    return evil


# -- the good path ------------------------------------------------------------------------------------


async def test_a_good_sign_in_maps_the_attributes(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    redirect, request_id = sp.begin("rs-1")
    fields = idp.sign_in(redirect, user="alice")
    assert fields["action"] == ACS and fields["RelayState"] == "rs-1"

    signed_in = await sp.finish(fields["SAMLResponse"], request_id=request_id)

    assert signed_in == VerifiedSignIn(
        issuer=idp.entity_id, subject="alice-7f3a", tenant_slug="acme",
        email="alice@example.com", name="Alice Zoë Ŝtraße", role_name="admin", maps_roles=True,
    )  # fmt: skip


async def test_sign_ins_are_checked_side_by_side(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    """xmlsec1 runs in worker threads: several answers checked at once each get their own verdict."""
    answers = [sign_in(sp, idp, user=user) for user in ("alice", "bob") * 4]
    tampered = answers[0][0].replace(b"alice@example.com", b"mallory@example.com")
    results = await asyncio.gather(
        *(sp.finish(encoded(xml), request_id=request_id) for xml, request_id in answers[1:]),
        sp.finish(encoded(tampered), request_id=answers[0][1]),
        return_exceptions=True,
    )  # fmt: skip
    assert [result.subject for result in results[:-1]] == ["bob-11c2", "alice-7f3a"] * 3 + ["bob-11c2"]
    assert isinstance(results[-1], SignInRejected) and results[-1].reason == "bad_signature"


async def test_no_mapped_group_gives_no_role(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp, user="bob")
    signed_in = await sp.finish(encoded(xml), request_id=request_id)
    assert (signed_in.subject, signed_in.email, signed_in.role_name) == ("bob-11c2", "bob@example.com", None)


def test_the_redirect_carries_an_authn_request_for_our_acs(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    redirect, request_id = sp.begin("rs-1")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)
    assert redirect.startswith(f"{idp.base_url}/sso/redirect?")
    assert query["RelayState"] == ["rs-1"] and request_id
    page = idp.login_page(redirect, user="alice")
    assert f'action="{ACS}"' in page and 'name="SAMLResponse"' in page and "submit()" in page


def test_a_relay_state_longer_than_80_bytes_is_refused(sp: SamlServiceProvider) -> None:
    with pytest.raises(ValueError, match="80 bytes"):
        sp.begin("x" * 81)


def test_metadata_names_the_acs_and_wants_signed_assertions(sp: SamlServiceProvider) -> None:
    metadata = sp.metadata().decode()
    assert f'entityID="{SP}"' in metadata
    assert re.search(rf'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="{re.escape(ACS)}"'
                     rf'|Location="{re.escape(ACS)}"[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"',
                     metadata)  # fmt: skip
    assert 'WantAssertionsSigned="true"' in metadata
    assert 'AuthnRequestsSigned="false"' in metadata


# -- signatures ----------------------------------------------------------------------------------------


async def test_an_attribute_changed_after_signing_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    tampered = xml.replace(b"alice@example.com", b"mallory@example.com")
    assert tampered != xml
    assert (await rejected(sp, tampered, request_id)).reason == "bad_signature"


async def test_an_assertion_signed_with_another_key_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider, tmp_path
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    key_file, cert_file = signing_key_and_certificate(tmp_path, "Undersign test IdP")  # same name, other key
    forged = idp.resign(xml.replace(b"alice@example.com", b"mallory@example.com"), key_file=key_file,
                        cert_file=cert_file)  # fmt: skip
    assert (await rejected(sp, forged, request_id)).reason == "bad_signature"


async def test_an_unsigned_assertion_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp, sign="none")
    assert (await rejected(sp, xml, request_id)).reason == "unsigned_assertion"


async def test_an_unsigned_assertion_in_a_signed_response_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp, sign="response")
    assert b"<ns2:Signature" in xml
    assert (await rejected(sp, xml, request_id)).reason == "unsigned_assertion"


async def test_a_signed_response_and_a_signed_assertion_are_accepted(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp, sign="both")
    assert (await sp.finish(encoded(xml), request_id=request_id)).subject == "alice-7f3a"


async def test_a_signed_response_changed_outside_the_assertion_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp, sign="both")
    tampered = re.sub(rb'(<ns0:Response [^>]*IssueInstant=")[^"]+', rb"\g<1>2020-01-01T00:00:00Z", xml, count=1)
    assert tampered != xml
    assert (await rejected(sp, tampered, request_id)).reason == "bad_signature"


async def test_a_sha1_signature_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp, alg="sha1")
    assert (await rejected(sp, xml, request_id)).reason == "disallowed_algorithm"


# -- XML signature wrapping: the signed assertion kept intact, an unsigned one beside or around it --------


async def test_xsw_an_unsigned_assertion_before_the_signed_one(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    signed = signed_assertion(xml)
    wrapped = xml.replace(signed, evil_copy(signed) + signed)
    assert (await rejected(sp, wrapped, request_id)).reason == "signature_wrapping"


async def test_xsw_an_unsigned_assertion_with_the_signed_ones_id(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    signed = signed_assertion(xml)
    wrapped = xml.replace(signed, evil_copy(signed, new_id=None) + signed)
    assert (await rejected(sp, wrapped, request_id)).reason == "signature_wrapping"


async def test_xsw_the_signed_assertion_inside_an_unsigned_one(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    signed = signed_assertion(xml)
    evil = evil_copy(signed)
    wrapper = evil.replace(b"</ns1:Assertion>", signed + b"</ns1:Assertion>")
    assert (await rejected(sp, xml.replace(signed, wrapper), request_id)).reason == "signature_wrapping"


async def test_xsw_the_signed_assertion_in_the_response_extensions(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    signed = signed_assertion(xml)
    moved = xml.replace(signed, evil_copy(signed)).replace(
        b"<ns0:Status>", b"<ns0:Extensions>" + signed + b"</ns0:Extensions><ns0:Status>", 1
    )
    assert (await rejected(sp, moved, request_id)).reason == "signature_wrapping"


async def test_xsw_the_signed_assertion_in_a_signature_object(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    signed = signed_assertion(xml)
    signature = re.search(rb"<ns2:Signature .*?</ns2:Signature>", signed, re.DOTALL).group(0)
    carrier = signature.replace(b"</ns2:Signature>", b"<ns2:Object>" + signed + b"</ns2:Object></ns2:Signature>")
    evil = evil_copy(signed).replace(b"</ns1:Issuer>", b"</ns1:Issuer>" + carrier, 1)
    assert (await rejected(sp, xml.replace(signed, evil), request_id)).reason == "signature_wrapping"


# -- who the answer is for, and when -------------------------------------------------------------------


async def test_an_assertion_replayed_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp)
    await sp.finish(encoded(xml), request_id=request_id)
    assert (await rejected(sp, xml, request_id)).reason == "replayed"


async def test_an_assertion_for_another_audience_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp, audience="https://other.test/saml/metadata")
    assert (await rejected(sp, xml, request_id)).reason == "wrong_audience"


async def test_an_answer_addressed_to_another_acs_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp, acs="https://other.test/saml/acs")
    assert (await rejected(sp, xml, request_id)).reason == "wrong_recipient"


async def test_an_assertion_whose_recipient_is_another_acs_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, request_id = sign_in(sp, idp)
    edited = xml.replace(f'Recipient="{ACS}"'.encode(), b'Recipient="https://other.test/saml/acs"')
    assert (await rejected(sp, idp.resign(edited), request_id)).reason == "wrong_recipient"


async def test_an_expired_assertion_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp)
    past = datetime.now(UTC) - timedelta(hours=2)
    edited = re.sub(rb'NotOnOrAfter="[^"]+"', f'NotOnOrAfter="{past:%Y-%m-%dT%H:%M:%SZ}"'.encode(), xml)
    edited = re.sub(rb'NotBefore="[^"]+"', f'NotBefore="{past - timedelta(minutes=5):%Y-%m-%dT%H:%M:%SZ}"'.encode(),
                    edited)  # fmt: skip
    assert (await rejected(sp, idp.resign(edited), request_id)).reason == "expired"


async def test_an_assertion_checked_after_its_window_is_refused(idp: SamlIdentityProvider) -> None:
    late = service_provider(idp, now=datetime.now(UTC) + timedelta(minutes=10))
    xml, request_id = sign_in(late, idp)
    assert (await rejected(late, xml, request_id)).reason == "expired"


async def test_an_assertion_not_valid_yet_is_refused(idp: SamlIdentityProvider) -> None:
    early = service_provider(idp, now=datetime.now(UTC) - timedelta(minutes=10))
    xml, request_id = sign_in(early, idp)
    assert (await rejected(early, xml, request_id)).reason == "not_yet_valid"


async def test_the_leeway_accepts_a_small_clock_skew(idp: SamlIdentityProvider) -> None:
    behind = service_provider(idp, now=datetime.now(UTC) - timedelta(seconds=30))
    xml, request_id = sign_in(behind, idp)
    assert (await behind.finish(encoded(xml), request_id=request_id)).subject == "alice-7f3a"


async def test_an_answer_to_another_request_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, _ = sign_in(sp, idp)
    _, other_request_id = sp.begin("rs-2")
    assert (await rejected(sp, xml, other_request_id)).reason == "unsolicited"


async def test_an_answer_when_no_sign_in_was_started_is_refused(
    sp: SamlServiceProvider, idp: SamlIdentityProvider
) -> None:  # fmt: skip
    xml, _ = sign_in(sp, idp)
    assert (await rejected(sp, xml, "")).reason == "unsolicited"


async def test_an_answer_from_another_issuer_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp)
    edited = xml.replace(f">{idp.entity_id}<".encode(), b">https://evil.test/idp<")
    assert (await rejected(sp, idp.resign(edited), request_id)).reason == "wrong_issuer"


# -- hostile input ---------------------------------------------------------------------------------------


async def test_a_doctype_with_entities_is_refused(sp: SamlServiceProvider, idp: SamlIdentityProvider) -> None:
    xml, request_id = sign_in(sp, idp)
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    body = xml.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0"?>' + bomb, 1)
    body = body.replace(b">Alice", b">&b;Alice", 1)
    assert (await rejected(sp, body, request_id)).reason == "malformed"


async def test_an_external_entity_is_refused(sp: SamlServiceProvider) -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'
    assert (await rejected(sp, body, "id-1")).reason == "malformed"


async def test_an_oversize_answer_is_refused_before_decoding(sp: SamlServiceProvider) -> None:
    assert (await rejected(sp, "A" * (MAX_RESPONSE_BASE64 + 4), "id-1")).reason == "too_large"


async def test_not_base64_is_refused(sp: SamlServiceProvider) -> None:
    assert (await rejected(sp, "not base64 at all!", "id-1")).reason == "malformed"


# -- settings --------------------------------------------------------------------------------------------


def test_settings_read_the_idp_entity_id_from_its_metadata(idp: SamlIdentityProvider) -> None:
    (settings,) = parse_saml_providers(settings_json(idp))
    assert (settings.name, settings.idp_entity_id, settings.tenant_slug, settings.leeway_seconds) == \
        ("corp", idp.entity_id, "acme", 60)  # fmt: skip
    assert settings.attributes.role_map[0] == ("esign-admins", "admin")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "[0] has unknown key 'colour'"),
        ({"name": "Corp!"}, "[0].name"),
        ({"tenant": "ACME"}, "[0].tenant"),
        ({"acs_url": "http://undersign.test/acs"}, "[0].acs_url must be an https:// URL"),
        ({"leeway_seconds": "60"}, "[0].leeway_seconds"),
        ({"attributes": {"role": "groups"}}, "needs a \"role_map\""),
        ({"attributes": {"role": "groups", "role_map": {"x": "superuser"}}}, "'superuser' is not a role"),
        ({"idp_metadata_file": "/nonexistent.xml"}, "either \"idp_metadata_xml\" or \"idp_metadata_file\""),
        ({"idp_metadata_xml": "<!DOCTYPE x><x/>"}, "without DOCTYPE"),
        ({"sign_requests": True}, "[0].sign_requests needs"),
    ],
)  # fmt: skip
def test_settings_mistakes_are_one_line_naming_where(
    idp: SamlIdentityProvider, changes: dict[str, object], message: str
) -> None:  # fmt: skip
    with pytest.raises(SamlSettingsError) as caught:
        parse_saml_providers(settings_json(idp, **changes))
    assert message in str(caught.value) and "\n" not in str(caught.value)
