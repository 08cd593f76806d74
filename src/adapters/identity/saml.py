"""Browser sign-in with a SAML 2.0 identity provider: this service provider's side (Web Browser SSO profile).

`SamlServiceProvider` serves one configured IdP (saml_settings.py). pysaml2 (with the xmlsec1
program) builds the metadata and the AuthnRequest and checks XML signatures; the rest of an
answer's checks are made here, on the one element the signature covers, so that each refusal
has its own reason:

1. bounds and shape: the POSTed base64 is at most 256 KiB; the XML has no DOCTYPE (so no entity
   declarations) and is parsed with defusedxml; it is a Response holding exactly one Assertion,
   a direct child, with no encrypted assertions;
2. against signature wrapping: every `ID` in the document is unique; the assertion carries
   exactly one Signature, its direct child, whose one Reference points at the assertion's own
   ID; no Signature sits anywhere else but directly under the Response; only SHA-2 algorithms;
3. the assertion's signature (and the Response's, when it has one) verifies with the IdP's
   certificate from its metadata, never a certificate named in the message; an unsigned
   assertion is refused even inside a signed Response;
4. issuer, audience, recipient and destination, InResponseTo (the AuthnRequest the caller
   started), NotBefore and NotOnOrAfter with the configured leeway;
5. the assertion's id is claimed once through `OneTimeIds`: a replay is refused, in any process.

Every refusal is a `SignInRejected` whose detail never repeats the message's XML.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

import defusedxml.ElementTree
from cryptography.utils import CryptographyDeprecationWarning
from defusedxml import DefusedXmlException
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.sigver import SignatureError

from undersign.application.access.identity_ports import (
    OneTimeIds,
    SignInRejected,
    VerifiedSignIn,
)

if TYPE_CHECKING:
    from undersign.adapters.identity.saml_settings import SamlProviderSettings

MAX_RESPONSE_BASE64 = 256 * 1024
MAX_RELAY_STATE_BYTES = 80  # SAML bindings 3.4.3: RelayState MUST NOT exceed 80 bytes
MAX_ID_LENGTH = 256
MAX_ATTRIBUTE_VALUE = 1024

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SIGNATURE_METHODS = frozenset({
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
})  # fmt: skip
DIGEST_METHODS = frozenset({
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
})  # fmt: skip
_ASSERTION_NODE = f"{ASSERTION}:Assertion"
_RESPONSE_NODE = f"{PROTOCOL}:Response"
_SIGN_REQUEST_ALGORITHM = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# xs:dateTime as IdPs write it: UTC with "Z" (or an offset), fractional seconds of any length.
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$")


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


@contextmanager
def _quiet_pysaml2() -> Iterator[None]:
    """pysaml2 may read certificates through a deprecated cryptography API; that warning, and only it, is hushed.

    Used around the calls made on the event loop's thread only (see `_verify_signatures`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
        yield


@dataclass(frozen=True, slots=True)
class _Checked:
    """What the checks found in the one signed assertion."""

    assertion_id: str
    subject: str
    valid_until: datetime
    attributes: dict[str, list[str]]


class SamlServiceProvider:
    """This service provider towards one SAML IdP (see the module's docstring).

    `one_time_ids` remembers the assertion ids already used; `now` is the clock for time windows.
    """

    def __init__(
        self, settings: SamlProviderSettings, *, one_time_ids: OneTimeIds,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.settings = settings
        self._ids = one_time_ids
        self._now = now
        self._leeway = timedelta(seconds=settings.leeway_seconds)
        config = SPConfig()
        service: dict[str, object] = {
            "endpoints": {"assertion_consumer_service": [(settings.acs_url, BINDING_HTTP_POST)]},
            "want_assertions_signed": True,
            "want_response_signed": False,
            "authn_requests_signed": settings.sign_requests,
            "allow_unsolicited": False,
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "name_id_format_allow_create": True,
        }
        options: dict[str, object] = {
            "entityid": settings.entity_id,
            "service": {"sp": service},
            "metadata": {"inline": [settings.idp_metadata]},
            "xmlsec_binary": settings.xmlsec1,
            "only_use_keys_in_metadata": True,
            "delete_tmpfiles": True,
        }
        if settings.sp_key_file is not None:
            options["key_file"] = settings.sp_key_file
            options["cert_file"] = settings.sp_cert_file
        # pysaml2 logs the messages it checks (whole assertions: credentials) at ERROR and DEBUG.
        logging.getLogger("saml2").setLevel(logging.CRITICAL)
        with _quiet_pysaml2():
            config.load(options)
            self._client = Saml2Client(config=config)
        self._config = config
        if not self._client.metadata.single_sign_on_service(settings.idp_entity_id, BINDING_HTTP_REDIRECT):
            raise ValueError(f"the IdP metadata of {settings.name!r} offers no HTTP-Redirect sign-in endpoint")

    @property
    def name(self) -> str:
        """The IdP's short name, as URLs name it."""
        return self.settings.name

    def metadata(self) -> bytes:
        """This SP's metadata: entity id, the ACS (HTTP-POST), WantAssertionsSigned, AuthnRequestsSigned."""
        with _quiet_pysaml2():
            text = create_metadata_string(None, config=self._config, valid=None)
        return text if isinstance(text, bytes) else text.encode()

    def begin(self, relay_state: str) -> tuple[str, str]:
        """Starts a sign-in: the IdP URL to redirect the browser to (an AuthnRequest, HTTP-Redirect binding)
        and the request's id, which the caller keeps (in the browser's session) and gives to `finish`."""
        if len(relay_state.encode()) > MAX_RELAY_STATE_BYTES or any(ord(c) < 0x20 for c in relay_state):
            raise ValueError(f"relay state must be at most {MAX_RELAY_STATE_BYTES} bytes of printable text")
        with _quiet_pysaml2():
            request_id, info = self._client.prepare_for_authenticate(
                entityid=self.settings.idp_entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT,
                sign=self.settings.sign_requests,
                sigalg=_SIGN_REQUEST_ALGORITHM if self.settings.sign_requests else None,
                response_binding=BINDING_HTTP_POST,
            )  # fmt: skip
        location = dict(info["headers"])["Location"]
        return location, request_id

    async def finish(self, saml_response_b64: str, *, request_id: str) -> VerifiedSignIn:
        """Checks the SAMLResponse POSTed to the ACS (its base64 text) as the answer to the AuthnRequest
        `request_id`; returns whom it names, or raises SignInRejected."""
        xml = _decoded(saml_response_b64)
        root = _parsed(xml)
        assertion = self._structure(root)
        response_signed = root.find(_tag(DSIG, "Signature")) is not None
        # xmlsec1 is a child process pysaml2 waits for: in a worker thread, so the event loop goes on.
        await asyncio.to_thread(self._verify_signatures, xml, assertion.get("ID", ""), response_signed)
        checked = self._checked(root, assertion, request_id)
        key = f"saml:{hashlib.sha256(self.settings.idp_entity_id.encode()).hexdigest()[:16]}:{checked.assertion_id}"
        if not await self._ids.claim(key, until=checked.valid_until + self._leeway):
            raise SignInRejected("replayed", "This sign-in answer was already used.")
        return self._identity(checked)

    # -- the checks --------------------------------------------------------------------------------

    def _structure(self, root: Element) -> Element:
        if root.tag != _tag(PROTOCOL, "Response"):
            raise SignInRejected("malformed", "The sign-in answer is not a SAML Response.")
        if root.get("Version") != "2.0":
            raise SignInRejected("malformed", "The sign-in answer is not SAML 2.0.")
        status = root.find(f"{_tag(PROTOCOL, 'Status')}/{_tag(PROTOCOL, 'StatusCode')}")
        if status is None or status.get("Value") != STATUS_SUCCESS:
            raise SignInRejected("not_successful", "The identity provider did not sign you in.")
        if next(root.iter(_tag(ASSERTION, "EncryptedAssertion")), None) is not None:
            raise SignInRejected("malformed", "Encrypted assertions are not supported.")
        assertions = list(root.iter(_tag(ASSERTION, "Assertion")))
        if not assertions:
            raise SignInRejected("malformed", "The sign-in answer holds no assertion.")
        if len(assertions) > 1 or assertions[0] not in list(root):
            raise SignInRejected("signature_wrapping", "The sign-in answer must hold exactly one assertion.")
        assertion = assertions[0]
        ids = [element.get("ID") for element in root.iter() if element.get("ID") is not None]
        if len(ids) != len(set(ids)):
            raise SignInRejected("signature_wrapping", "An id appears twice in the sign-in answer.")
        assertion_id = assertion.get("ID") or ""
        if not assertion_id or len(assertion_id) > MAX_ID_LENGTH or _has_control(assertion_id):
            raise SignInRejected("malformed", "The assertion has no usable id.")
        issuer = _text(assertion.find(_tag(ASSERTION, "Issuer")))
        response_issuer = root.find(_tag(ASSERTION, "Issuer"))
        if issuer != self.settings.idp_entity_id or (
            response_issuer is not None and _text(response_issuer) != self.settings.idp_entity_id
        ):
            raise SignInRejected("wrong_issuer", "The sign-in answer is not from the configured identity provider.")
        signatures = list(assertion.iter(_tag(DSIG, "Signature")))
        if not signatures:
            raise SignInRejected("unsigned_assertion", "The identity provider must sign the assertion.")
        if len(signatures) > 1 or signatures[0] not in list(assertion):
            raise SignInRejected("signature_wrapping", "The assertion must carry exactly one signature of its own.")
        _check_signature_element(signatures[0], assertion_id)
        for signature in root.iter(_tag(DSIG, "Signature")):
            if signature is signatures[0]:
                continue
            if signature not in list(root):
                raise SignInRejected("signature_wrapping", "A signature sits where none belongs.")
            _check_signature_element(signature, root.get("ID") or "")
        return assertion

    def _verify_signatures(self, xml: bytes, assertion_id: str, response_signed: bool) -> None:
        """xmlsec1, through pysaml2, with the IdP's certificates from its metadata (blocking: run in a thread)."""
        text = xml.decode()
        # No warnings.catch_warnings here: it swaps a process-wide list and is not safe in a worker thread.
        try:
            response = samlp.response_from_string(text)
            if response is None or len(response.assertion) != 1 or response.assertion[0].id != assertion_id:
                raise SignInRejected("malformed", "The sign-in answer could not be read.")
            security = self._client.sec
            security.check_signature(response.assertion[0], _ASSERTION_NODE, origdoc=text, must=True)
            if response_signed:
                security.check_signature(response, _RESPONSE_NODE, origdoc=text, must=True)
        except SignInRejected:
            raise
        except SignatureError:
            raise SignInRejected("bad_signature", "The identity provider's signature does not verify.") from None
        except Exception as error:  # noqa: BLE001 -- pysaml2 raises many kinds; none may let the answer through
            detail = f"The identity provider's signature does not verify ({type(error).__name__})."
            raise SignInRejected("bad_signature", detail) from None

    def _checked(self, root: Element, assertion: Element, request_id: str) -> _Checked:
        now = self._now()
        acs = self.settings.acs_url
        destination = root.get("Destination")
        if destination is not None and destination != acs:
            raise SignInRejected("wrong_recipient", "The sign-in answer is addressed to another service.")
        in_response_to = root.get("InResponseTo")
        if not request_id or (in_response_to is not None and in_response_to != request_id):
            raise SignInRejected("unsolicited", "The sign-in answer is not for the sign-in started here.")
        conditions = assertion.find(_tag(ASSERTION, "Conditions"))
        if conditions is None:
            raise SignInRejected("wrong_audience", "The assertion names no audience.")
        not_on_or_after = self._window(conditions.get("NotBefore"), conditions.get("NotOnOrAfter"), now)
        restrictions = conditions.findall(_tag(ASSERTION, "AudienceRestriction"))
        if not restrictions or any(
            self.settings.entity_id not in [_text(a) for a in restriction.findall(_tag(ASSERTION, "Audience"))]
            for restriction in restrictions
        ):
            raise SignInRejected("wrong_audience", "The assertion is for another service.")
        subject = assertion.find(_tag(ASSERTION, "Subject"))
        name_id = None if subject is None else _text(subject.find(_tag(ASSERTION, "NameID")))
        if not name_id or len(name_id) > MAX_ATTRIBUTE_VALUE or _has_control(name_id):
            raise SignInRejected("malformed", "The assertion names no subject.")
        confirmed_until = self._bearer_confirmation(subject, request_id, now)
        if assertion.find(_tag(ASSERTION, "AuthnStatement")) is None:
            raise SignInRejected("malformed", "The assertion holds no authentication statement.")
        valid_until = min(filter(None, (not_on_or_after, confirmed_until)))
        return _Checked(assertion_id=assertion.get("ID", ""), subject=name_id, valid_until=valid_until,
                        attributes=_attributes(assertion))  # fmt: skip

    def _window(self, not_before: str | None, not_on_or_after: str | None, now: datetime) -> datetime | None:
        if not_before is not None and now + self._leeway < _instant(not_before):
            raise SignInRejected("not_yet_valid", "The assertion is not valid yet.")
        if not_on_or_after is None:
            return None
        end = _instant(not_on_or_after)
        if now - self._leeway >= end:
            raise SignInRejected("expired", "The assertion has expired.")
        return end

    def _bearer_confirmation(self, subject: Element | None, request_id: str, now: datetime) -> datetime:
        """When the first bearer confirmation that holds for this ACS and request ends; else the first one's refusal."""
        refusal: SignInRejected | None = None
        confirmations = [] if subject is None else subject.findall(_tag(ASSERTION, "SubjectConfirmation"))
        for confirmation in confirmations:
            if confirmation.get("Method") != BEARER:
                continue
            data = confirmation.find(_tag(ASSERTION, "SubjectConfirmationData"))
            try:
                if data is None or data.get("NotOnOrAfter") is None:
                    raise SignInRejected("malformed", "The bearer confirmation has no time limit.")
                if data.get("Recipient") != self.settings.acs_url:
                    raise SignInRejected("wrong_recipient", "The assertion is addressed to another service.")
                if data.get("InResponseTo") != request_id:
                    raise SignInRejected("unsolicited", "The assertion is not for the sign-in started here.")
                end = self._window(data.get("NotBefore"), data.get("NotOnOrAfter"), now)
            except SignInRejected as error:
                refusal = refusal or error
                continue
            assert end is not None
            return end
        raise refusal or SignInRejected("malformed", "The assertion has no bearer subject confirmation.")

    def _identity(self, checked: _Checked) -> VerifiedSignIn:
        mapping = self.settings.attributes

        def first(name: str | None) -> str | None:
            values = checked.attributes.get(name, []) if name else []
            if not values:
                return None
            if len(values[0]) > MAX_ATTRIBUTE_VALUE or _has_control(values[0]):
                raise SignInRejected("malformed", "An attribute is too long or holds control characters.")
            return values[0]

        role_name = None
        if mapping.role is not None:
            carried = set(checked.attributes.get(mapping.role, []))
            role_name = next((ours for theirs, ours in mapping.role_map if theirs in carried), None)
        return VerifiedSignIn(
            issuer=self.settings.idp_entity_id, subject=checked.subject, tenant_slug=self.settings.tenant_slug,
            email=first(mapping.email), name=first(mapping.name), role_name=role_name,
            maps_roles=mapping.role is not None,
        )  # fmt: skip


def _decoded(saml_response_b64: str) -> bytes:
    if not isinstance(saml_response_b64, str):
        raise SignInRejected("malformed", "The sign-in answer is missing.")
    if len(saml_response_b64) > MAX_RESPONSE_BASE64:
        raise SignInRejected("too_large", f"The sign-in answer is larger than {MAX_RESPONSE_BASE64 // 1024} KiB.")
    try:
        xml = base64.b64decode("".join(saml_response_b64.split()), validate=True)
        xml.decode("utf-8")
    except (binascii.Error, ValueError):
        raise SignInRejected("malformed", "The sign-in answer is not base64-encoded UTF-8 XML.") from None
    if _DOCTYPE.search(xml):
        raise SignInRejected("malformed", "The sign-in answer may not carry a document type or entity declaration.")
    return xml


def _parsed(xml: bytes) -> Element:
    try:
        return defusedxml.ElementTree.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (SyntaxError, DefusedXmlException, ValueError):
        raise SignInRejected("malformed", "The sign-in answer is not well-formed XML.") from None


def _check_signature_element(signature: Element, signed_id: str) -> None:
    """SAML core 5.4: one Reference, to the enclosing element's id; here also only SHA-2 algorithms."""
    signed_info = signature.find(_tag(DSIG, "SignedInfo"))
    references = [] if signed_info is None else signed_info.findall(_tag(DSIG, "Reference"))
    if len(references) != 1 or not signed_id or references[0].get("URI") != f"#{signed_id}":
        raise SignInRejected("signature_wrapping", "The signature does not cover the element it sits in.")
    method = signed_info.find(_tag(DSIG, "SignatureMethod")) if signed_info is not None else None
    digest = references[0].find(_tag(DSIG, "DigestMethod"))
    if method is None or method.get("Algorithm") not in SIGNATURE_METHODS or digest is None \
            or digest.get("Algorithm") not in DIGEST_METHODS:  # fmt: skip
        raise SignInRejected("disallowed_algorithm", "The signature must use SHA-256 or stronger.")


def _attributes(assertion: Element) -> dict[str, list[str]]:
    attributes: dict[str, list[str]] = {}
    for statement in assertion.findall(_tag(ASSERTION, "AttributeStatement")):
        for attribute in statement.findall(_tag(ASSERTION, "Attribute")):
            values = [_text(value) or "" for value in attribute.findall(_tag(ASSERTION, "AttributeValue"))]
            attributes.setdefault(attribute.get("Name", ""), []).extend(value for value in values if value)
    return attributes


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    return "".join(element.itertext()).strip()


def _instant(value: str) -> datetime:
    match = _DATETIME.match(value.strip())
    if match is None:
        raise SignInRejected("malformed", "A time in the assertion is not a valid xs:dateTime.")
    whole, fraction, zone = match.groups()
    try:
        microseconds = (fraction or "0")[:6].ljust(6, "0")
        moment = datetime.fromisoformat(f"{whole}.{microseconds}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        raise SignInRejected("malformed", "A time in the assertion is not a valid xs:dateTime.") from None
    return moment.astimezone(UTC)


def _has_control(text: str) -> bool:
    return any(ord(character) < 0x20 or ord(character) == 0x7F for character in text)


