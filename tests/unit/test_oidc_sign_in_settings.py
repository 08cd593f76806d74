"""UNDERSIGN_OIDC_SIGN_IN: the OpenID Providers of the browser sign-in, read strictly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from undersign.adapters.identity.settings import ClaimMapping, OidcSettingsError
from undersign.adapters.identity.sign_in_settings import (
    DEFAULT_SCOPES,
    VARIABLE,
    SignInProvider,
    SignInSettingsError,
    parse_sign_in_providers,
    sign_in_providers_from_env,
)

SECRET = "s3cr3t-value-never-echoed"


def provider(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": "acme", "issuer": "https://login.acme.example", "client_id": "undersign", "client_secret": SECRET,
        "tenant": {"value": "acme"},
        "role": {"claim": "groups", "map": {"esign-admins": "admin", "esign-senders": "sender"}},
    }  # fmt: skip
    item.update(changes)
    return {name: value for name, value in item.items() if value is not None}


def parsed(*items: dict[str, Any]) -> tuple[SignInProvider, ...]:
    return parse_sign_in_providers(json.dumps(list(items)))


def refusal(text: str) -> str:
    with pytest.raises(SignInSettingsError) as caught:
        parse_sign_in_providers(text)
    message = str(caught.value)
    assert "\n" not in message and SECRET not in message
    return message


def test_unset_or_empty_offers_no_provider() -> None:
    assert sign_in_providers_from_env({}) == ()
    assert sign_in_providers_from_env({VARIABLE: "  "}) == ()


def test_a_confidential_client_with_the_defaults() -> None:
    (config,) = sign_in_providers_from_env({VARIABLE: json.dumps([provider()])})
    assert config.name == "acme" and config.issuer == "https://login.acme.example" and config.client_id == "undersign"
    assert config.client_secret == SECRET and config.token_endpoint_auth_method == "client_secret_basic"
    assert config.tenant == ClaimMapping(value="acme")
    assert config.role == ClaimMapping(claim="groups", values=(("esign-admins", "admin"), ("esign-senders", "sender")))
    assert config.scopes == DEFAULT_SCOPES == ("openid", "email", "profile")
    assert config.leeway_seconds == 30
    assert SECRET not in repr(config)


def test_a_public_client_a_post_client_and_optional_fields() -> None:
    public, post = parsed(
        provider(name="public-1", client_secret=None, role=None, tenant={"claim": "tenant"},
                 scopes=["openid", "email", "groups", "openid"], algorithms=["ES256"], leeway_seconds=0),
        provider(name="post", token_endpoint_auth_method="client_secret_post"),
    )  # fmt: skip
    assert public.client_secret is None and public.token_endpoint_auth_method == "none"
    assert public.role is None and public.tenant == ClaimMapping(claim="tenant")
    assert public.scopes == ("openid", "email", "groups") and public.algorithms == ("ES256",)
    assert public.leeway_seconds == 0
    assert post.token_endpoint_auth_method == "client_secret_post"


def test_loopback_http_issuer_is_allowed_for_tests() -> None:
    (config,) = parsed(provider(issuer="http://127.0.0.1:8080"))
    assert config.issuer == "http://127.0.0.1:8080"


def test_the_shared_errors_are_sign_in_settings_errors() -> None:
    assert issubclass(SignInSettingsError, OidcSettingsError)


@pytest.mark.parametrize(("text", "expected"), [
    ("{", "is not valid JSON"),
    ('[{"name": "a", "name": "b"}]', "appears twice"),
    ("{}", "must be a JSON array"),
    ("[]", "must be a JSON array"),
    ("[1]", "UNDERSIGN_OIDC_SIGN_IN[0] must be an object"),
])  # fmt: skip
def test_malformed_documents_are_refused(text: str, expected: str) -> None:
    assert expected in refusal(text)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"name": None}, "[0] must have 'name'"),
    ({"issuer": None}, "[0] must have 'issuer'"),
    ({"client_id": None}, "[0] must have 'client_id'"),
    ({"tenant": None}, "[0] must have 'tenant'"),
    ({"audience": "x"}, "unknown key 'audience'"),
    ({"name": "Acme"}, ".name must be 1 to 32 lowercase"),
    ({"name": "a" * 33}, ".name must be 1 to 32 lowercase"),
    ({"name": "acme/evil"}, ".name must be 1 to 32 lowercase"),
    ({"name": "-acme"}, ".name must be 1 to 32 lowercase"),
    ({"issuer": "http://login.acme.example"}, ".issuer must be an https:// URL"),
    ({"issuer": "https://login.acme.example/?tenant=1"}, ".issuer must have no query"),
    ({"client_id": " undersign"}, ".client_id must be a non-empty string"),
    ({"client_id": 7}, ".client_id must be a non-empty string"),
    ({"client_secret": ""}, ".client_secret must be a string of 1 to"),
    ({"client_secret": f" {SECRET}"}, ".client_secret must be a string of 1 to"),
    ({"client_secret": f"{SECRET}\n"}, ".client_secret must be a string of 1 to"),
    ({"client_secret": ["x"]}, ".client_secret must be a string of 1 to"),
    ({"client_secret": "x" * 1025}, ".client_secret must be a string of 1 to"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "is not one of client_secret_basic"),
    ({"token_endpoint_auth_method": "none"}, "'none' takes no client_secret"),
    ({"client_secret": None, "token_endpoint_auth_method": "client_secret_post"}, "needs a client_secret"),
    ({"tenant": {"value": "Acme Corp"}}, ".tenant.value: 'Acme Corp' is not a tenant slug"),
    ({"tenant": {"claim": "t", "value": "acme"}}, ".tenant must have either \"claim\" or \"value\""),
    ({"role": {"value": "superuser"}}, ".role.value: 'superuser' is not a role"),
    ({"role": {"claim": "groups"}}, "needs a \"map\" from its values to roles"),
    ({"role": {"claim": "groups", "map": {"x": "root"}}}, ".role.map['x']: 'root' is not a role"),
    ({"scopes": "openid email"}, ".scopes must be a non-empty list"),
    ({"scopes": []}, ".scopes must be a non-empty list"),
    ({"scopes": ["email"]}, ".scopes must include \"openid\""),
    ({"scopes": ["openid", "e mail"]}, "'e mail' is not a scope"),
    ({"scopes": ["openid", 'x"y']}, "is not a scope"),
    ({"algorithms": ["HS256"]}, "'HS256' is not allowed"),
    ({"leeway_seconds": 301}, ".leeway_seconds must be a whole number of seconds from 0 to 300"),
    ({"leeway_seconds": True}, ".leeway_seconds must be a whole number"),
])  # fmt: skip
def test_each_mistake_is_refused_in_one_line_naming_where(changes: dict[str, Any], expected: str) -> None:
    item = provider()
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    message = refusal(json.dumps([item]))
    assert message.startswith("UNDERSIGN_OIDC_SIGN_IN")
    assert expected in message


def test_a_name_used_twice_is_refused_but_an_issuer_may_serve_two_clients() -> None:
    assert "[1].name: 'acme' is configured twice" in refusal(json.dumps([provider(), provider(client_id="other")]))
    first, second = parsed(provider(), provider(name="acme-2", client_id="other"))
    assert first.issuer == second.issuer


def test_role_names_can_be_narrowed() -> None:
    text = json.dumps([provider(role={"value": "admin"})])
    with pytest.raises(SignInSettingsError, match="'admin' is not a role"):
        parse_sign_in_providers(text, role_names=("viewer",))
