"""Which OpenID Providers' bearer tokens the API accepts, and how their claims map: UNDERSIGN_OIDC_ISSUERS.

The variable holds a JSON array with one object per trusted issuer (docs/identity.md):

    [{"issuer": "https://login.example.com/realms/acme",
      "audience": "https://undersign.example.com/api",
      "tenant": {"value": "acme"},
      "role": {"claim": "roles", "map": {"esign-admins": "admin", "esign-senders": "sender"}}}]

Optional per issuer: "jwks_uri" (else discovered from the issuer's
/.well-known/openid-configuration), "algorithms" (a subset of RS256, PS256, ES256, EdDSA, Ed25519;
all by default), "subject_claim" ("sub"), "email_claim" ("email"; null for none),
"leeway_seconds" (30), "jwks_refresh_seconds" (60: the least time between two fetches of the
key set, however many tokens name an unknown key), "jwks_max_age_seconds" (3600).

A mapping reads a claim (`{"claim": NAME}`, with a "map" from the claim's values to ours, and
`"space_separated": true` for a claim like `scope`) or is fixed for every token of the issuer
(`{"value": ...}`). A role read from a claim needs its "map": an identity provider's group
never becomes one of our roles by sharing its name. When a token carries several mapped
values, the first entry of the map that it carries wins, so list the strongest role first.

Parsing reads the text only; nothing is fetched. Every mistake is one line naming where it is.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

VARIABLE = "UNDERSIGN_OIDC_ISSUERS"
# Asymmetric only: never `none`, never HS*. Ed25519 is RFC 9864's name for EdDSA over Ed25519.
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA", "Ed25519")
ROLE_NAMES = ("owner", "admin", "sender", "viewer", "auditor")
TENANT_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_CLAIM_NAME = re.compile(r"^[\x21-\x7e]{1,200}$")
_MAX_LEEWAY = 300

_ISSUER_KEYS = frozenset({
    "issuer", "audience", "jwks_uri", "algorithms", "tenant", "role", "subject_claim", "email_claim",
    "leeway_seconds", "jwks_refresh_seconds", "jwks_max_age_seconds",
})  # fmt: skip
_MAPPING_KEYS = frozenset({"claim", "value", "map", "space_separated"})


class OidcSettingsError(ValueError):
    """UNDERSIGN_OIDC_ISSUERS is malformed; the one-line message says where and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimMapping:
    """Where a tenant or a role comes from: the `value` itself, or the `claim` (through `values` when given)."""

    claim: str | None = None
    value: str | None = None
    values: tuple[tuple[str, str], ...] | None = None  # (claim's value, ours), in order of precedence
    space_separated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerConfig:
    """One trusted OpenID Provider, and how its tokens' claims name a tenant and a role."""

    issuer: str
    audience: str
    tenant: ClaimMapping
    role: ClaimMapping
    jwks_uri: str | None = None
    algorithms: tuple[str, ...] = ALGORITHMS
    subject_claim: str = "sub"
    email_claim: str | None = "email"
    leeway_seconds: int = 30
    jwks_refresh_seconds: int = 60
    jwks_max_age_seconds: int = 3600


def oidc_issuers_from_env(
    env: Mapping[str, str], *, role_names: Collection[str] = ROLE_NAMES
) -> tuple[IssuerConfig, ...]:
    """The issuers UNDERSIGN_OIDC_ISSUERS names; none when it is unset or empty (bearer tokens are then refused)."""
    return parse_oidc_issuers(env.get(VARIABLE), role_names=role_names)


def parse_oidc_issuers(text: str | None, *, role_names: Collection[str] = ROLE_NAMES) -> tuple[IssuerConfig, ...]:
    """The issuers in `text` (the variable's JSON), checked strictly; raises OidcSettingsError."""
    if text is None or not text.strip():
        return ()
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, _DuplicateKey) as error:
        raise OidcSettingsError(f"{VARIABLE} is not valid JSON: {error}") from None
    if not isinstance(document, list) or not document:
        raise OidcSettingsError(f"{VARIABLE} must be a JSON array of issuer objects, like [{{\"issuer\": ...}}]")
    issuers = tuple(_issuer(item, f"{VARIABLE}[{index}]", role_names) for index, item in enumerate(document))
    seen: set[str] = set()
    for index, issuer in enumerate(issuers):
        if issuer.issuer in seen:
            raise OidcSettingsError(f"{VARIABLE}[{index}].issuer: {issuer.issuer!r} is configured twice")
        seen.add(issuer.issuer)
    return issuers


def check_url(url: str, where: str, *, is_issuer: bool = False) -> str:
    """`url` if it is https (or http on a loopback address, for tests and a provider on the same host)."""
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
    if not secure or not parts.hostname:
        raise OidcSettingsError(f"{where} must be an https:// URL (http:// only on a loopback address), not {url!r}")
    if parts.username is not None or parts.password is not None or parts.fragment or _has_control(url):
        raise OidcSettingsError(f"{where} must not carry credentials, a fragment or control characters: {url!r}")
    if is_issuer and parts.query:
        raise OidcSettingsError(f"{where} must have no query (OpenID Connect Discovery): {url!r}")
    return url


def tenant_mapping(value: object, where: str) -> ClaimMapping:
    """A "tenant" entry in the shape UNDERSIGN_OIDC_ISSUERS uses, checked the same way; `where` heads the error."""
    return _mapping(value, where, _tenant_value)


def role_mapping(value: object, where: str, *, role_names: Collection[str] = ROLE_NAMES) -> ClaimMapping:
    """A "role" entry in the shape UNDERSIGN_OIDC_ISSUERS uses, checked the same way; `where` heads the error."""
    return _role_mapping(value, where, role_names)


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"key {key!r} appears twice in an object")
        result[key] = value
    return result


def _has_control(text: str) -> bool:
    return any(ord(character) < 0x20 or ord(character) == 0x7F for character in text)


def _issuer(item: object, where: str, role_names: Collection[str]) -> IssuerConfig:
    if not isinstance(item, dict):
        raise OidcSettingsError(f"{where} must be an object")
    _only_known(item, _ISSUER_KEYS, where)
    for required in ("issuer", "audience", "tenant", "role"):
        if required not in item:
            raise OidcSettingsError(f"{where} must have {required!r}")
    issuer = check_url(_text(item["issuer"], f"{where}.issuer"), f"{where}.issuer", is_issuer=True)
    jwks_uri = item.get("jwks_uri")
    if jwks_uri is not None:
        jwks_uri = check_url(_text(jwks_uri, f"{where}.jwks_uri"), f"{where}.jwks_uri")
    algorithms = _algorithms(item.get("algorithms", list(ALGORITHMS)), f"{where}.algorithms")
    email_claim = item.get("email_claim", "email")
    refresh = _seconds(item.get("jwks_refresh_seconds", 60), f"{where}.jwks_refresh_seconds", 1, 86_400)
    return IssuerConfig(
        issuer=issuer,
        audience=_text(item["audience"], f"{where}.audience"),
        jwks_uri=jwks_uri,
        algorithms=algorithms,
        tenant=_mapping(item["tenant"], f"{where}.tenant", _tenant_value),
        role=_role_mapping(item["role"], f"{where}.role", role_names),
        subject_claim=_claim_name(item.get("subject_claim", "sub"), f"{where}.subject_claim"),
        email_claim=None if email_claim is None else _claim_name(email_claim, f"{where}.email_claim"),
        leeway_seconds=_seconds(item.get("leeway_seconds", 30), f"{where}.leeway_seconds", 0, _MAX_LEEWAY),
        jwks_refresh_seconds=refresh,
        jwks_max_age_seconds=_seconds(item.get("jwks_max_age_seconds", 3600), f"{where}.jwks_max_age_seconds",
                                      refresh, 7 * 86_400),
    )  # fmt: skip


def _only_known(item: dict[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(item) - known)
    if unknown:
        raise OidcSettingsError(f"{where} has unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip() or _has_control(value):
        raise OidcSettingsError(f"{where} must be a non-empty string without surrounding spaces, not {value!r}")
    return value


def _claim_name(value: object, where: str) -> str:
    if not isinstance(value, str) or not _CLAIM_NAME.match(value):
        raise OidcSettingsError(f"{where} must name a claim (printable ASCII, no spaces), not {value!r}")
    return value


def _seconds(value: object, where: str, minimum: int, maximum: int) -> int:
    if type(value) is not int or not minimum <= value <= maximum:
        raise OidcSettingsError(f"{where} must be a whole number of seconds from {minimum} to {maximum}, not {value!r}")
    return value


def _algorithms(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise OidcSettingsError(f"{where} must be a non-empty list drawn from {', '.join(ALGORITHMS)}")
    for algorithm in value:
        if algorithm not in ALGORITHMS:
            raise OidcSettingsError(f"{where}: {algorithm!r} is not allowed (only {', '.join(ALGORITHMS)})")
    return tuple(dict.fromkeys(value))


def _tenant_value(value: object, where: str) -> str:
    if not isinstance(value, str) or not TENANT_SLUG.match(value):
        raise OidcSettingsError(f"{where}: {value!r} is not a tenant slug (1 to 63 lowercase letters, digits, hyphens)")
    return value


def _role_mapping(value: object, where: str, role_names: Collection[str]) -> ClaimMapping:
    def role(name: object, at: str) -> str:
        if name not in role_names:
            raise OidcSettingsError(f"{at}: {name!r} is not a role ({', '.join(role_names)})")
        return str(name)

    mapping = _mapping(value, where, role)
    if mapping.claim is not None and mapping.values is None:
        raise OidcSettingsError(f"{where} reads claim {mapping.claim!r} and needs a \"map\" from its values to roles")
    return mapping


def _mapping(value: object, where: str, ours: Any) -> ClaimMapping:
    if not isinstance(value, dict):
        raise OidcSettingsError(f'{where} must be an object: {{"value": ...}} or {{"claim": ..., "map": {{...}}}}')
    _only_known(value, _MAPPING_KEYS, where)
    if ("claim" in value) == ("value" in value):
        raise OidcSettingsError(f"{where} must have either \"claim\" or \"value\", not both or neither")
    if "value" in value:
        if set(value) != {"value"}:
            raise OidcSettingsError(f"{where}: a fixed \"value\" takes no \"map\" or \"space_separated\"")
        return ClaimMapping(value=ours(value["value"], f"{where}.value"))
    values = None
    if "map" in value:
        table = value["map"]
        if not isinstance(table, dict) or not table:
            raise OidcSettingsError(f"{where}.map must be a non-empty object from the claim's values to ours")
        values = tuple((_text(theirs, f"{where}.map key"), ours(mine, f"{where}.map[{theirs!r}]"))
                       for theirs, mine in table.items())  # fmt: skip
    space_separated = value.get("space_separated", False)
    if type(space_separated) is not bool:
        raise OidcSettingsError(f"{where}.space_separated must be true or false, not {space_separated!r}")
    claim = _claim_name(value["claim"], f"{where}.claim")
    return ClaimMapping(claim=claim, values=values, space_separated=space_separated)
