"""Trusted OpenID Providers (UNDERSIGN_OIDC_ISSUERS): the format, its defaults, one-line refusals; and claim mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from undersign.adapters.identity.claims import checked_identity
from undersign.adapters.identity.settings import (
    ALGORITHMS,
    ClaimMapping,
    IssuerConfig,
    OidcSettingsError,
    oidc_issuers_from_env,
    parse_oidc_issuers,
)
from undersign.application.access.identity_ports import TokenRejected, TokenRejection

ISSUER = "https://login.example.com/realms/acme"
MINIMAL = {
    "issuer": ISSUER,
    "audience": "https://undersign.example.com/api",
    "tenant": {"value": "acme"},
    "role": {"claim": "groups", "map": {"esign-admins": "admin", "esign-senders": "sender"}},
}


def parsed(**changes: Any) -> IssuerConfig:
    (config,) = parse_oidc_issuers(json.dumps([{**MINIMAL, **changes}]))
    return config


def refusal(text: str) -> str:
    with pytest.raises(OidcSettingsError) as caught:
        parse_oidc_issuers(text)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_no_issuers_when_the_variable_is_unset_or_empty() -> None:
    assert oidc_issuers_from_env({}) == ()
    assert oidc_issuers_from_env({"UNDERSIGN_OIDC_ISSUERS": "  "}) == ()


def test_a_minimal_issuer_and_its_defaults() -> None:
    config = oidc_issuers_from_env({"UNDERSIGN_OIDC_ISSUERS": json.dumps([MINIMAL])})[0]
    assert config == IssuerConfig(
        issuer=ISSUER, audience="https://undersign.example.com/api", tenant=ClaimMapping(value="acme"),
        role=ClaimMapping(claim="groups", values=(("esign-admins", "admin"), ("esign-senders", "sender"))),
        jwks_uri=None, algorithms=ALGORITHMS, subject_claim="sub", email_claim="email", leeway_seconds=30,
        jwks_refresh_seconds=60, jwks_max_age_seconds=3600,
    )  # fmt: skip


def test_every_option() -> None:
    config = parsed(
        jwks_uri="https://login.example.com/keys", algorithms=["ES256", "EdDSA"], subject_claim="oid",
        email_claim=None, leeway_seconds=0, jwks_refresh_seconds=30, jwks_max_age_seconds=600,
        tenant={"claim": "org", "map": {"org-1": "acme"}},
        role={"claim": "scope", "space_separated": True, "map": {"esign:admin": "admin"}},
    )  # fmt: skip
    assert config.jwks_uri == "https://login.example.com/keys"
    assert config.algorithms == ("ES256", "EdDSA")
    assert (config.subject_claim, config.email_claim, config.leeway_seconds) == ("oid", None, 0)
    assert (config.jwks_refresh_seconds, config.jwks_max_age_seconds) == (30, 600)
    assert config.tenant == ClaimMapping(claim="org", values=(("org-1", "acme"),))
    assert config.role == ClaimMapping(claim="scope", values=(("esign:admin", "admin"),), space_separated=True)


def test_http_only_on_loopback() -> None:
    assert parsed(issuer="http://127.0.0.1:8080").issuer == "http://127.0.0.1:8080"
    assert parsed(issuer="http://localhost:9000/realms/x").issuer == "http://localhost:9000/realms/x"
    assert "https://" in refusal(json.dumps([{**MINIMAL, "issuer": "http://idp.example.com"}]))
    assert "https://" in refusal(json.dumps([{**MINIMAL, "jwks_uri": "http://idp.example.com/keys"}]))


@pytest.mark.parametrize(("text", "expected"), [
    ("not json", "UNDERSIGN_OIDC_ISSUERS is not valid JSON"),
    ("{}", "must be a JSON array"),
    ("[]", "must be a JSON array"),
    ("[1]", "UNDERSIGN_OIDC_ISSUERS[0] must be an object"),
    (json.dumps([{**MINIMAL, "audiance": "x"}]), "[0] has unknown key 'audiance'"),
    (json.dumps([{k: v for k, v in MINIMAL.items() if k != "audience"}]), "[0] must have 'audience'"),
    (json.dumps([MINIMAL, MINIMAL]), "[1].issuer: 'https://login.example.com/realms/acme' is configured twice"),
    ('[{"issuer": "https://a.example", "issuer": "https://b.example"}]', "key 'issuer' appears twice"),
    (json.dumps([{**MINIMAL, "issuer": "https://x.example/?q=1"}]), "[0].issuer must have no query"),
    (json.dumps([{**MINIMAL, "issuer": "https://user:pw@x.example"}]), "must not carry credentials"),
    (json.dumps([{**MINIMAL, "audience": ""}]), "[0].audience must be a non-empty string"),
    (json.dumps([{**MINIMAL, "audience": 7}]), "[0].audience must be a non-empty string"),
    (json.dumps([{**MINIMAL, "algorithms": ["HS256"]}]), "[0].algorithms: 'HS256' is not allowed"),
    (json.dumps([{**MINIMAL, "algorithms": ["none"]}]), "[0].algorithms: 'none' is not allowed"),
    (json.dumps([{**MINIMAL, "algorithms": []}]), "[0].algorithms must be a non-empty list"),
    (json.dumps([{**MINIMAL, "leeway_seconds": True}]), "[0].leeway_seconds must be a whole number"),
    (json.dumps([{**MINIMAL, "leeway_seconds": 3600}]), "[0].leeway_seconds must be a whole number of seconds from 0"),
    (json.dumps([{**MINIMAL, "jwks_refresh_seconds": 0}]), "[0].jwks_refresh_seconds must be"),
    (json.dumps([{**MINIMAL, "jwks_refresh_seconds": 120, "jwks_max_age_seconds": 60}]), "[0].jwks_max_age_seconds"),
    (json.dumps([{**MINIMAL, "tenant": "acme"}]), "[0].tenant must be an object"),
    (json.dumps([{**MINIMAL, "tenant": {"value": "Acme Corp"}}]), "[0].tenant.value: 'Acme Corp' is not a tenant slug"),
    (json.dumps([{**MINIMAL, "tenant": {"value": "acme", "claim": "org"}}]), "[0].tenant must have either"),
    (json.dumps([{**MINIMAL, "tenant": {}}]), "[0].tenant must have either"),
    (json.dumps([{**MINIMAL, "tenant": {"value": "acme", "map": {"a": "b"}}}]), "a fixed \"value\" takes no"),
    (json.dumps([{**MINIMAL, "tenant": {"claim": "org", "map": {"o": "Not-Slug!"}}}]), "is not a tenant slug"),
    (json.dumps([{**MINIMAL, "role": {"claim": "groups"}}]), "[0].role reads claim 'groups' and needs a \"map\""),
    (json.dumps([{**MINIMAL, "role": {"claim": "groups", "map": {"g": "superuser"}}}]), "'superuser' is not a role"),
    (json.dumps([{**MINIMAL, "role": {"value": "root"}}]), "[0].role.value: 'root' is not a role"),
    (json.dumps([{**MINIMAL, "role": {"claim": "g", "map": {}}}]), "[0].role.map must be a non-empty object"),
    (json.dumps([{**MINIMAL, "role": {"claim": "g", "map": {"g": "admin"}, "space_separated": "yes"}}]),
     "[0].role.space_separated must be true or false"),
    (json.dumps([{**MINIMAL, "subject_claim": "has space"}]), "[0].subject_claim must name a claim"),
])  # fmt: skip
def test_mistakes_are_refused_in_one_line_saying_where(text: str, expected: str) -> None:
    assert expected in refusal(text)


def test_the_known_roles_come_from_the_caller() -> None:
    text = json.dumps([{**MINIMAL, "role": {"value": "approver"}}])
    assert parse_oidc_issuers(text, role_names=("approver",))[0].role == ClaimMapping(value="approver")
    with pytest.raises(OidcSettingsError, match="'approver' is not a role"):
        parse_oidc_issuers(text)


# -- claims to tenant, subject and role ------------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def claims(**changes: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "aud": "https://undersign.example.com/api", "sub": "user-1", "exp": NOW.timestamp() + 60,
            "groups": ["esign-senders"], "email": "zoë@example.com"}  # fmt: skip
    return {name: value for name, value in {**base, **changes}.items() if value is not None}


def test_claims_map_to_an_identity() -> None:
    verified = checked_identity(claims(), parsed(), now=NOW)
    assert (verified.subject, verified.email, verified.tenant_slug, verified.role_name) == (
        "user-1", "zoë@example.com", "acme", "sender"
    )
    assert verified.expires_at == datetime(2026, 12, 1, 12, 1, tzinfo=UTC)


def test_the_first_role_of_the_map_that_the_token_carries_wins() -> None:
    both = claims(groups=["esign-senders", "esign-admins", "other"])
    assert checked_identity(both, parsed(), now=NOW).role_name == "admin"


def test_a_space_separated_claim_and_a_tenant_from_a_claim() -> None:
    config = parsed(
        tenant={"claim": "org"},
        role={"claim": "scope", "space_separated": True, "map": {"esign:send": "sender"}},
    )
    verified = checked_identity(claims(scope="openid esign:send", org="globex"), config, now=NOW)
    assert (verified.tenant_slug, verified.role_name) == ("globex", "sender")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"groups": ["marketing"]}, TokenRejection.UNMAPPED),
    ({"groups": None}, TokenRejection.UNMAPPED),
    ({"groups": "esign-senders esign-admins"}, TokenRejection.UNMAPPED),  # one value, not split unless configured
    ({"groups": {"esign-senders": True}}, TokenRejection.UNMAPPED),
    ({"email": "not an address"}, TokenRejection.MALFORMED),
    ({"email": ["a@example.com"]}, TokenRejection.MALFORMED),
    ({"sub": "x" * 256}, TokenRejection.MALFORMED),
    ({"sub": "line\nbreak"}, TokenRejection.MALFORMED),
    ({"sub": 42}, TokenRejection.MALFORMED),
    ({"exp": "tomorrow"}, TokenRejection.MALFORMED),
    ({"exp": 10**20}, TokenRejection.MALFORMED),
    ({"nbf": False}, TokenRejection.MALFORMED),
    ({"aud": ["a", "b"]}, TokenRejection.WRONG_AUDIENCE),
    ({"aud": {"https://undersign.example.com/api": 1}}, TokenRejection.WRONG_AUDIENCE),
    ({"iss": ISSUER + "/"}, TokenRejection.WRONG_ISSUER),
])  # fmt: skip
def test_claims_that_do_not_map_or_are_malformed_are_refused(changes: dict[str, Any], reason: TokenRejection) -> None:
    with pytest.raises(TokenRejected) as caught:
        checked_identity(claims(**changes), parsed(), now=NOW)
    assert caught.value.reason == reason
    assert caught.value.code == "invalid_token"


def test_a_tenant_claim_without_a_map_must_be_one_slug() -> None:
    config = parsed(tenant={"claim": "org"})
    for org in (["acme", "globex"], "Acme", "", None):
        with pytest.raises(TokenRejected) as caught:
            checked_identity(claims(org=org), config, now=NOW)
        assert caught.value.reason == TokenRejection.UNMAPPED
    assert checked_identity(claims(org=["acme"]), config, now=NOW).tenant_slug == "acme"


def test_an_audience_list_that_names_this_api_is_accepted() -> None:
    verified = checked_identity(claims(aud=["https://other.example", "https://undersign.example.com/api"]), parsed(),
                                now=NOW)  # fmt: skip
    assert verified.subject == "user-1"
