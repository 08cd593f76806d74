"""The database settings from the environment: defaults, and clear errors for bad values."""

from __future__ import annotations

import pytest

from undersign.entrypoints.settings import Settings, SettingsError


def test_the_database_settings_have_production_minded_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.db_pool_size, settings.db_max_overflow) == (10, 10)
    assert (settings.db_pool_timeout, settings.db_connect_timeout) == (10.0, 5.0)
    assert settings.db_statement_timeout_ms == 30_000


def test_the_database_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env({
        "UNDERSIGN_DB_POOL_SIZE": "20", "UNDERSIGN_DB_MAX_OVERFLOW": "0", "UNDERSIGN_DB_POOL_TIMEOUT_SECONDS": "2.5",
        "UNDERSIGN_DB_CONNECT_TIMEOUT_SECONDS": "1", "UNDERSIGN_DB_STATEMENT_TIMEOUT_MS": "0",
    })  # fmt: skip
    assert (settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout) == (20, 0, 2.5)
    assert (settings.db_connect_timeout, settings.db_statement_timeout_ms) == (1.0, 0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("UNDERSIGN_DB_POOL_SIZE", "0", "UNDERSIGN_DB_POOL_SIZE must be at least 1, not 0"),
        ("UNDERSIGN_DB_POOL_SIZE", "ten", "UNDERSIGN_DB_POOL_SIZE must be a whole number, not 'ten'"),
        ("UNDERSIGN_DB_MAX_OVERFLOW", "-1", "UNDERSIGN_DB_MAX_OVERFLOW must be at least 0, not -1"),
        ("UNDERSIGN_DB_POOL_TIMEOUT_SECONDS", "0", "UNDERSIGN_DB_POOL_TIMEOUT_SECONDS must be more than 0 seconds"),
        ("UNDERSIGN_DB_CONNECT_TIMEOUT_SECONDS", "soon", "must be a number of seconds, not 'soon'"),
        ("UNDERSIGN_DB_CONNECT_TIMEOUT_SECONDS", "nan", "UNDERSIGN_DB_CONNECT_TIMEOUT_SECONDS must be more than 0"),
        ("UNDERSIGN_DB_STATEMENT_TIMEOUT_MS", "1.5", "UNDERSIGN_DB_STATEMENT_TIMEOUT_MS must be a whole number"),
    ],
)
def test_a_bad_database_setting_is_refused_by_name(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env({name: value})


def test_time_stamping_authorities_are_listed_in_order() -> None:
    assert Settings.from_env({}).tsa_urls == ()
    settings = Settings.from_env({"UNDERSIGN_TSA_URLS": " https://tsa.one.example/tsr , http://tsa.two.example ,"})
    assert settings.tsa_urls == ("https://tsa.one.example/tsr", "http://tsa.two.example")


@pytest.mark.parametrize("value", ["tsa.example.com", "ftp://tsa.example.com", "https://"])
def test_a_time_stamping_authority_must_be_an_http_url(value: str) -> None:
    with pytest.raises(SettingsError, match="UNDERSIGN_TSA_URLS must list http:// or https:// URLs"):
        Settings.from_env({"UNDERSIGN_TSA_URLS": f"https://ok.example,{value}"})


@pytest.mark.parametrize("value", ["1.3.6.1.4.1.55555.1.1", "2.999.1.2", "0.39", "2.5.29.32.0"])
def test_signers_certificate_policy_is_an_object_identifier(value: str) -> None:
    assert Settings.from_env({}).signer_certificate_policy is None
    assert Settings.from_env({"UNDERSIGN_SIGNER_CERTIFICATE_POLICY": f" {value} "}).signer_certificate_policy == value


@pytest.mark.parametrize("value", ["policy", "1.40.1", "3.1", "1.3.06.1", "1..2", "1.3.", "2"])
def test_a_certificate_policy_that_is_no_object_identifier_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="UNDERSIGN_SIGNER_CERTIFICATE_POLICY must be an object identifier"):
        Settings.from_env({"UNDERSIGN_SIGNER_CERTIFICATE_POLICY": value})


def test_the_signers_sign_in_provider_must_be_one_of_the_configured_ones() -> None:
    providers = '[{"name": "citizens", "issuer": "https://id.example.gov", "client_id": "undersign", "tenant": {"value": "acme"}}]'
    env = {"UNDERSIGN_OIDC_SIGN_IN": providers}
    assert Settings.from_env(env).signer_oidc_provider is None
    assert Settings.from_env({**env, "UNDERSIGN_SIGNER_OIDC_PROVIDER": "citizens"}).signer_oidc_provider == "citizens"
    with pytest.raises(SettingsError, match="UNDERSIGN_SIGNER_OIDC_PROVIDER names a provider of UNDERSIGN_OIDC_SIGN_IN"):
        Settings.from_env({**env, "UNDERSIGN_SIGNER_OIDC_PROVIDER": "staff"})


@pytest.mark.parametrize(("value", "pinned"), [(None, True), ("", True), ("false", False), ("0", False), ("yes", True)])
def test_server_processes_pin_their_threads_unless_told_not_to(value: str | None, pinned: bool) -> None:
    assert Settings.from_env({} if value is None else {"UNDERSIGN_PIN_CPU": value}).pin_cpu is pinned


def test_a_pin_setting_that_is_no_yes_or_no_is_refused() -> None:
    with pytest.raises(SettingsError, match="UNDERSIGN_PIN_CPU must be true or false, not 'sometimes'"):
        Settings.from_env({"UNDERSIGN_PIN_CPU": "sometimes"})
