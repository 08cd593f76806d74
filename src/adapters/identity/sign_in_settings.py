"""The OpenID Providers people sign in with in a browser: UNDERSIGN_OIDC_SIGN_IN.

A JSON array, one object per provider the sign-in page offers (authorization code + PKCE):

    [{"name": "acme", "issuer": "https://login.acme.example", "client_id": "undersign",
      "client_secret": "...", "tenant": {"value": "acme"},
      "role": {"claim": "groups", "map": {"esign-admins": "admin", "esign-senders": "sender"}}}]

- `name`: how URLs name the provider (1 to 32 lowercase letters, digits, hyphens), unique;
- `issuer`: https (http only on a loopback address), no query; its endpoints and keys come
  from `{issuer}/.well-known/openid-configuration`;
- `client_id`, and `client_secret` unless the client is public (PKCE alone then);
- `token_endpoint_auth_method`: "client_secret_basic" (the default with a secret) or
  "client_secret_post"; "none" (the only choice, and the default, without a secret);
- `tenant`: required, `role`: optional, both in the shape UNDERSIGN_OIDC_ISSUERS uses (a fixed
  `value`, or a `claim` of the ID token and a `map`); without `role`, or when the claims map to
  no role, the sign-in names none and the person's stored role stands;
- `scopes`: optional, must include "openid" (default "openid", "email", "profile");
- `algorithms` and `leeway_seconds`: optional, as in UNDERSIGN_OIDC_ISSUERS.

Unset or empty, no provider is offered. Any mistake is a SignInSettingsError naming where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from undersign.adapters.identity.settings import (
    _MAX_LEEWAY,
    ALGORITHMS,
    ROLE_NAMES,
    ClaimMapping,
    OidcSettingsError,
    _algorithms,
    _DuplicateKey,
    _no_duplicates,
    _only_known,
    _seconds,
    _text,
    check_url,
    role_mapping,
    tenant_mapping,
)

VARIABLE = "UNDERSIGN_OIDC_SIGN_IN"
DEFAULT_SCOPES = ("openid", "email", "profile")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,100}$")  # RFC 6749 scope-token
_MAX_SECRET_LENGTH = 1024
_KEYS = frozenset({
    "name", "issuer", "client_id", "client_secret", "token_endpoint_auth_method", "tenant", "role", "scopes",
    "algorithms", "leeway_seconds",
})  # fmt: skip


class SignInSettingsError(OidcSettingsError):
    """UNDERSIGN_OIDC_SIGN_IN is malformed; the one-line message says where and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInProvider:
    """One OpenID Provider people sign in with, the client Undersign is registered as there, and how
    the ID token's claims name a tenant and (optionally) a role."""

    name: str
    issuer: str
    client_id: str
    tenant: ClaimMapping
    role: ClaimMapping | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_endpoint_auth_method: str = "none"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    algorithms: tuple[str, ...] = ALGORITHMS
    leeway_seconds: int = 30


def sign_in_providers_from_env(
    env: Mapping[str, str], *, role_names: Collection[str] = ROLE_NAMES
) -> tuple[SignInProvider, ...]:
    """The providers UNDERSIGN_OIDC_SIGN_IN names; none when it is unset or empty."""
    return parse_sign_in_providers(env.get(VARIABLE), role_names=role_names)


def parse_sign_in_providers(
    text: str | None, *, role_names: Collection[str] = ROLE_NAMES
) -> tuple[SignInProvider, ...]:
    """The providers in `text` (the variable's JSON), checked strictly; raises SignInSettingsError."""
    if text is None or not text.strip():
        return ()
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, _DuplicateKey) as error:
        raise SignInSettingsError(f"{VARIABLE} is not valid JSON: {error}") from None
    if not isinstance(document, list) or not document:
        raise SignInSettingsError(f"{VARIABLE} must be a JSON array of provider objects, like [{{\"name\": ...}}]")
    try:
        providers = tuple(_provider(item, f"{VARIABLE}[{index}]", role_names) for index, item in enumerate(document))
    except SignInSettingsError:
        raise
    except OidcSettingsError as error:  # from the checks shared with UNDERSIGN_OIDC_ISSUERS
        raise SignInSettingsError(str(error)) from None
    names: set[str] = set()
    for index, provider in enumerate(providers):
        if provider.name in names:
            raise SignInSettingsError(f"{VARIABLE}[{index}].name: {provider.name!r} is configured twice")
        names.add(provider.name)
    return providers


def _provider(item: object, where: str, role_names: Collection[str]) -> SignInProvider:
    if not isinstance(item, dict):
        raise SignInSettingsError(f"{where} must be an object")
    _only_known(item, _KEYS, where)
    for required in ("name", "issuer", "client_id", "tenant"):
        if required not in item:
            raise SignInSettingsError(f"{where} must have {required!r}")
    name = item["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise SignInSettingsError(f"{where}.name must be 1 to 32 lowercase letters, digits and hyphens, not {name!r}")
    secret = item.get("client_secret")
    if secret is not None and not _is_secret(secret):
        # The message never repeats the value: it is a secret, and a near-miss of one.
        raise SignInSettingsError(f"{where}.client_secret must be a string of 1 to {_MAX_SECRET_LENGTH} printable "
                                  "characters without surrounding spaces")  # fmt: skip
    return SignInProvider(
        name=name,
        issuer=check_url(_text(item["issuer"], f"{where}.issuer"), f"{where}.issuer", is_issuer=True),
        client_id=_text(item["client_id"], f"{where}.client_id"),
        client_secret=secret,
        token_endpoint_auth_method=_auth_method(item.get("token_endpoint_auth_method"), secret is not None, where),
        tenant=tenant_mapping(item["tenant"], f"{where}.tenant"),
        role=None if item.get("role") is None else role_mapping(item["role"], f"{where}.role", role_names=role_names),
        scopes=_scopes(item.get("scopes", list(DEFAULT_SCOPES)), f"{where}.scopes"),
        algorithms=_algorithms(item.get("algorithms", list(ALGORITHMS)), f"{where}.algorithms"),
        leeway_seconds=_seconds(item.get("leeway_seconds", 30), f"{where}.leeway_seconds", 0, _MAX_LEEWAY),
    )  # fmt: skip


def _is_secret(value: object) -> bool:
    return (
        isinstance(value, str) and 0 < len(value) <= _MAX_SECRET_LENGTH and value == value.strip()
        and value.isprintable()
    )  # fmt: skip


def _auth_method(value: object, has_secret: bool, where: str) -> str:
    if value is None:
        return "client_secret_basic" if has_secret else "none"
    if value not in AUTH_METHODS:
        raise SignInSettingsError(f"{where}.token_endpoint_auth_method: {value!r} is not one of {', '.join(AUTH_METHODS)}")
    if (value == "none") == has_secret:
        needs = "takes no client_secret" if value == "none" else "needs a client_secret"
        raise SignInSettingsError(f"{where}.token_endpoint_auth_method {value!r} {needs}")
    return str(value)


def _scopes(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise SignInSettingsError(f"{where} must be a non-empty list of scopes including \"openid\"")
    for scope in value:
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise SignInSettingsError(f"{where}: {scope!r} is not a scope (printable ASCII, no spaces, quotes or \\)")
    if "openid" not in value:
        raise SignInSettingsError(f"{where} must include \"openid\"")
    return tuple(dict.fromkeys(value))
