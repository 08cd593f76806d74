"""Which SAML 2.0 identity providers people may sign in with, and how their attributes map: UNDERSIGN_SAML_PROVIDERS.

The variable holds a JSON array with one object per identity provider (docs/saml.md):

    [{"name": "corp",
      "entity_id": "https://undersign.example.com/auth/saml/corp/metadata",
      "acs_url": "https://undersign.example.com/auth/saml/corp/acs",
      "metadata_url": "https://undersign.example.com/auth/saml/corp/metadata",
      "idp_metadata_file": "/etc/undersign/corp-idp.xml",
      "tenant": "acme",
      "attributes": {"email": "urn:oid:0.9.2342.19200300.100.1.3", "name": "displayName",
                     "role": "groups", "role_map": {"esign-admins": "admin", "esign-senders": "sender"}}}]

"name" is short (lowercase letters, digits, hyphens) and appears in the service provider's URLs.
"entity_id" is this service provider's SAML entity id for that IdP, "acs_url" where the IdP posts
its answer, "metadata_url" where the IdP reads our metadata. The IdP's metadata comes as text
("idp_metadata_xml") or from a file ("idp_metadata_file"), exactly one of them; when it describes
several identity providers, "idp_entity_id" chooses one. "tenant" is the tenant the IdP signs
people in to.

Optional: "attributes" ("email", "name", "role": attribute Names, not FriendlyNames; none read
by default; "role" needs "role_map", from the IdP's values to our roles, and when a person carries
several mapped values the first entry of the map that they carry wins, so list the strongest role
first), "sign_requests" (false; true needs "sp_key_file" and "sp_cert_file", PEM files),
"leeway_seconds" (60; at most 300), "xmlsec1" (the xmlsec1 program; found on PATH by default).

Every mistake is one line naming where it is. The IdP metadata file is read here; nothing is fetched.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from undersign.adapters.identity.settings import LOOPBACK_HOSTS, ROLE_NAMES, TENANT_SLUG

VARIABLE = "UNDERSIGN_SAML_PROVIDERS"
METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
PROVIDER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
MAX_METADATA_BYTES = 1024 * 1024
_MAX_LEEWAY = 300

_PROVIDER_KEYS = frozenset({
    "name", "entity_id", "acs_url", "metadata_url", "idp_metadata_xml", "idp_metadata_file", "idp_entity_id",
    "tenant", "attributes", "sign_requests", "sp_key_file", "sp_cert_file", "leeway_seconds", "xmlsec1",
})  # fmt: skip
_ATTRIBUTE_KEYS = frozenset({"email", "name", "role", "role_map"})


class SamlSettingsError(ValueError):
    """UNDERSIGN_SAML_PROVIDERS is malformed; the one-line message says where and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeMapping:
    """Which attributes (by Name) carry the email, the display name and the role; `role_map` in order of precedence."""

    email: str | None = None
    name: str | None = None
    role: str | None = None
    role_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SamlProviderSettings:
    """One trusted SAML identity provider, and this service provider as that IdP knows it."""

    name: str
    entity_id: str
    acs_url: str
    metadata_url: str
    idp_metadata: str  # the IdP's metadata XML
    idp_entity_id: str
    tenant_slug: str
    attributes: AttributeMapping = AttributeMapping()
    sign_requests: bool = False
    sp_key_file: str | None = None
    sp_cert_file: str | None = None
    leeway_seconds: int = 60
    xmlsec1: str = "xmlsec1"


def saml_providers_from_env(
    env: Mapping[str, str], *, role_names: Collection[str] = ROLE_NAMES
) -> tuple[SamlProviderSettings, ...]:
    """The IdPs UNDERSIGN_SAML_PROVIDERS names; none when it is unset or empty (SAML sign-in is then off)."""
    return parse_saml_providers(env.get(VARIABLE), role_names=role_names)


def parse_saml_providers(
    text: str | None, *, role_names: Collection[str] = ROLE_NAMES
) -> tuple[SamlProviderSettings, ...]:
    """The IdPs in `text` (the variable's JSON), checked strictly; raises SamlSettingsError."""
    if text is None or not text.strip():
        return ()
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, _DuplicateKey) as error:
        raise SamlSettingsError(f"{VARIABLE} is not valid JSON: {error}") from None
    if not isinstance(document, list) or not document:
        raise SamlSettingsError(f"{VARIABLE} must be a JSON array of provider objects, like [{{\"name\": ...}}]")
    providers = tuple(_provider(item, f"{VARIABLE}[{index}]", role_names) for index, item in enumerate(document))
    for field in ("name", "entity_id", "acs_url"):
        seen: set[str] = set()
        for index, provider in enumerate(providers):
            value = getattr(provider, field)
            if value in seen:
                raise SamlSettingsError(f"{VARIABLE}[{index}].{field}: {value!r} is configured twice")
            seen.add(value)
    return providers


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"key {key!r} appears twice in an object")
        result[key] = value
    return result


def _provider(item: object, where: str, role_names: Collection[str]) -> SamlProviderSettings:
    if not isinstance(item, dict):
        raise SamlSettingsError(f"{where} must be an object")
    _only_known(item, _PROVIDER_KEYS, where)
    for required in ("name", "entity_id", "acs_url", "metadata_url", "tenant"):
        if required not in item:
            raise SamlSettingsError(f"{where} must have {required!r}")
    name = item["name"]
    if not isinstance(name, str) or not PROVIDER_NAME.match(name):
        raise SamlSettingsError(f"{where}.name: {name!r} is not 1 to 32 lowercase letters, digits and hyphens")
    tenant = item["tenant"]
    if not isinstance(tenant, str) or not TENANT_SLUG.match(tenant):
        raise SamlSettingsError(f"{where}.tenant: {tenant!r} is not a tenant slug (lowercase letters, digits, hyphens)")
    metadata = _idp_metadata(item, where)
    sign_requests = item.get("sign_requests", False)
    if type(sign_requests) is not bool:
        raise SamlSettingsError(f"{where}.sign_requests must be true or false, not {sign_requests!r}")
    key_file, cert_file = item.get("sp_key_file"), item.get("sp_cert_file")
    if (key_file is None) != (cert_file is None):
        raise SamlSettingsError(f"{where} needs both \"sp_key_file\" and \"sp_cert_file\", or neither")
    if sign_requests and key_file is None:
        raise SamlSettingsError(f"{where}.sign_requests needs \"sp_key_file\" and \"sp_cert_file\"")
    return SamlProviderSettings(
        name=name,
        entity_id=_text(item["entity_id"], f"{where}.entity_id"),
        acs_url=_url(item["acs_url"], f"{where}.acs_url"),
        metadata_url=_url(item["metadata_url"], f"{where}.metadata_url"),
        idp_metadata=metadata,
        idp_entity_id=_idp_entity_id(metadata, item.get("idp_entity_id"), where),
        tenant_slug=tenant,
        attributes=_attributes(item.get("attributes", {}), f"{where}.attributes", role_names),
        sign_requests=sign_requests,
        sp_key_file=None if key_file is None else _readable_file(key_file, f"{where}.sp_key_file"),
        sp_cert_file=None if cert_file is None else _readable_file(cert_file, f"{where}.sp_cert_file"),
        leeway_seconds=_seconds(item.get("leeway_seconds", 60), f"{where}.leeway_seconds"),
        xmlsec1=_program(item.get("xmlsec1", "xmlsec1"), f"{where}.xmlsec1"),
    )


def _only_known(item: dict[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(item) - known)
    if unknown:
        raise SamlSettingsError(f"{where} has unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _has_control(text: str) -> bool:
    return any(ord(character) < 0x20 or ord(character) == 0x7F for character in text)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip() or _has_control(value):
        raise SamlSettingsError(f"{where} must be a non-empty string without surrounding spaces, not {value!r}")
    if len(value) > 1024:
        raise SamlSettingsError(f"{where} is longer than 1024 characters")
    return value


def _url(value: object, where: str) -> str:
    url = _text(value, where)
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
    if not secure or not parts.hostname:
        raise SamlSettingsError(f"{where} must be an https:// URL (http:// only on a loopback address), not {url!r}")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise SamlSettingsError(f"{where} must not carry credentials or a fragment: {url!r}")
    return url


def _seconds(value: object, where: str) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_LEEWAY:
        raise SamlSettingsError(f"{where} must be a whole number of seconds from 0 to {_MAX_LEEWAY}, not {value!r}")
    return value


def _readable_file(value: object, where: str) -> str:
    path = _text(value, where)
    if not Path(path).is_file():
        raise SamlSettingsError(f"{where}: {path!r} is not a readable file")
    return path


def _program(value: object, where: str) -> str:
    program = _text(value, where)
    found = shutil.which(program)
    if found is None:
        raise SamlSettingsError(f"{where}: program {program!r} not found (Debian: apt-get install -y xmlsec1)")
    return found


def _idp_metadata(item: dict[str, Any], where: str) -> str:
    if ("idp_metadata_xml" in item) == ("idp_metadata_file" in item):
        raise SamlSettingsError(f'{where} must have either "idp_metadata_xml" or "idp_metadata_file", not both')
    if "idp_metadata_xml" in item:
        text = item["idp_metadata_xml"]
        if not isinstance(text, str) or not text.strip():
            raise SamlSettingsError(f"{where}.idp_metadata_xml must be the IdP's metadata XML as a string")
        return text
    path = _readable_file(item["idp_metadata_file"], f"{where}.idp_metadata_file")
    data = Path(path).read_bytes()[: MAX_METADATA_BYTES + 1]
    if len(data) > MAX_METADATA_BYTES:
        raise SamlSettingsError(f"{where}.idp_metadata_file: {path!r} is larger than {MAX_METADATA_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SamlSettingsError(f"{where}.idp_metadata_file: {path!r} is not UTF-8 text") from None


def _idp_entity_id(metadata: str, chosen: object, where: str) -> str:
    """The entity id of the one identity provider the metadata describes (or `chosen` among several)."""
    try:
        root = defusedxml.ElementTree.fromstring(metadata, forbid_dtd=True)
    except (SyntaxError, DefusedXmlException, ValueError) as error:
        raise SamlSettingsError(f"{where}: the IdP metadata is not well-formed XML without DOCTYPE ({error})") from None
    descriptor, idp_descriptor = f"{{{METADATA_NS}}}EntityDescriptor", f"{{{METADATA_NS}}}IDPSSODescriptor"
    entities = [root] if root.tag == descriptor else root.iter(descriptor)
    idps = [entity.get("entityID") or "" for entity in entities if entity.find(idp_descriptor) is not None]
    if chosen is not None:
        chosen = _text(chosen, f"{where}.idp_entity_id")
        if chosen not in idps:
            raise SamlSettingsError(f"{where}.idp_entity_id: {chosen!r} is not an identity provider in the metadata")
        return chosen
    if len(idps) != 1 or not idps[0]:
        raise SamlSettingsError(f'{where}: the IdP metadata describes {len(idps)} IdPs; name one in "idp_entity_id"')
    return idps[0]


def _attributes(value: object, where: str, role_names: Collection[str]) -> AttributeMapping:
    if not isinstance(value, dict):
        raise SamlSettingsError(f"{where} must be an object with \"email\", \"name\", \"role\" and \"role_map\"")
    _only_known(value, _ATTRIBUTE_KEYS, where)
    names = {key: None if value.get(key) is None else _text(value[key], f"{where}.{key}")
             for key in ("email", "name", "role")}  # fmt: skip
    role_map: tuple[tuple[str, str], ...] = ()
    if names["role"] is not None:
        table = value.get("role_map")
        if not isinstance(table, dict) or not table:
            raise SamlSettingsError(f'{where}.role reads {names["role"]!r} and needs a "role_map" to our roles')
        for theirs, ours in table.items():
            if ours not in role_names:
                known = ", ".join(role_names)
                raise SamlSettingsError(f"{where}.role_map[{theirs!r}]: {ours!r} is not a role ({known})")
        role_map = tuple((_text(theirs, f"{where}.role_map key"), str(ours)) for theirs, ours in table.items())
    elif "role_map" in value:
        raise SamlSettingsError(f"{where}.role_map needs \"role\", the attribute it maps")
    return AttributeMapping(email=names["email"], name=names["name"], role=names["role"], role_map=role_map)
