"""Where the platform seal's key is (UNDERSIGN_SEAL_KEY): the forms, the secrets kept out of sight, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from undersign.adapters.signing.keys.config import DevSealKeySpec, Pkcs11SealKeySpec, Pkcs12SealKeySpec
from undersign.entrypoints.settings import Settings, SettingsError

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def test_the_seal_key_is_the_development_one_by_default() -> None:
    assert Settings.from_env({}).seal_key == DevSealKeySpec()
    assert Settings.from_env({"UNDERSIGN_SEAL_KEY": "dev"}).seal_key == DevSealKeySpec()


def test_a_pkcs12_file_and_its_password() -> None:
    settings = Settings.from_env({"UNDERSIGN_SEAL_KEY": "pkcs12:/etc/undersign/seal.p12",
                                  "UNDERSIGN_SEAL_KEY_PASSWORD": "s3cret"})  # fmt: skip
    assert settings.seal_key == Pkcs12SealKeySpec(path=Path("/etc/undersign/seal.p12"), password="s3cret")
    unencrypted = Settings.from_env({"UNDERSIGN_SEAL_KEY": "pkcs12:seal.p12"}).seal_key
    assert unencrypted == Pkcs12SealKeySpec(path=Path("seal.p12"), password=None)


def test_a_key_on_a_pkcs11_token_and_its_pin() -> None:
    settings = Settings.from_env({
        "UNDERSIGN_SEAL_KEY": f"pkcs11:module={SOFTHSM}; token=undersign ;key=seal;cert=seal-2026",
        "UNDERSIGN_SEAL_KEY_PIN": "123456",
    })  # fmt: skip
    assert settings.seal_key == Pkcs11SealKeySpec(
        module=Path(SOFTHSM), token="undersign", key_label="seal", cert_label="seal-2026", pin="123456"
    )


def test_the_password_and_the_pin_never_show_in_a_repr() -> None:
    for env in (
        {"UNDERSIGN_SEAL_KEY": "pkcs12:/seal.p12", "UNDERSIGN_SEAL_KEY_PASSWORD": "s3cret-password"},
        {"UNDERSIGN_SEAL_KEY": f"pkcs11:module={SOFTHSM};token=t;key=k", "UNDERSIGN_SEAL_KEY_PIN": "s3cret-pin"},
    ):
        assert "s3cret" not in repr(Settings.from_env(env))


@pytest.mark.parametrize(
    ("value", "pin", "message"),
    [
        ("hsm", None, "UNDERSIGN_SEAL_KEY must be 'dev', 'pkcs12:PATH' or 'pkcs11:module=PATH;token=LABEL;key=LABEL"),
        ("pkcs12:", None, "UNDERSIGN_SEAL_KEY pkcs12: must name the file, as in pkcs12:/etc/undersign/seal.p12"),
        (f"pkcs11:module={SOFTHSM};key=seal", "1234", "UNDERSIGN_SEAL_KEY pkcs11: lacks token (the form is"),
        ("pkcs11:", "1234", "UNDERSIGN_SEAL_KEY pkcs11: lacks module, token, key"),
        (f"pkcs11:module={SOFTHSM};token=t;key=k;pin=1234", "1234", "unknown attribute 'pin'; known: module, token"),
        (f"pkcs11:module={SOFTHSM};token=t;token=u;key=k", "1234", "UNDERSIGN_SEAL_KEY pkcs11: gives token twice"),
        (f"pkcs11:module={SOFTHSM};token;key=k", "1234", "UNDERSIGN_SEAL_KEY pkcs11: 'token' is not name=value"),
        (f"pkcs11:module={SOFTHSM};token=t;key=k", None, "pkcs11: needs the token's PIN in UNDERSIGN_SEAL_KEY_PIN"),
        (f"pkcs11:module={SOFTHSM};token=t;key=k", "", "pkcs11: needs the token's PIN in UNDERSIGN_SEAL_KEY_PIN"),
    ],
)
def test_a_malformed_seal_key_setting_is_refused_by_name(value: str, pin: str | None, message: str) -> None:
    env = {"UNDERSIGN_SEAL_KEY": value} | ({} if pin is None else {"UNDERSIGN_SEAL_KEY_PIN": pin})
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Settings.from_env(env)
