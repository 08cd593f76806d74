"""The SMS gateway's settings (UNDERSIGN_SMS_*), and which sender the container builds from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from undersign.adapters.notify.code_messages import JinjaCodeMessages
from undersign.adapters.notify.file_sms import FileSmsSender
from undersign.adapters.notify.sms_gateway import HttpSmsGateway
from undersign.entrypoints.container import build_container
from undersign.entrypoints.settings import Settings, SettingsError

TOKEN = "tok_4f1c9e2b7d0a5e8f"


def test_without_a_gateway_text_messages_go_to_files_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"UNDERSIGN_DATA_DIR": str(tmp_path)})
    assert (settings.sms_url, settings.sms_token, settings.sms_timeout_seconds) == (None, None, 10.0)
    assert settings.sms_dir == tmp_path.resolve() / "sms"

    gateways = build_container(settings).gateways
    sender = gateways.sms_sender()
    assert isinstance(sender, FileSmsSender) and sender.directory == settings.sms_dir
    assert isinstance(gateways.code_messages(), JinjaCodeMessages)


def test_a_gateway_is_read_from_the_environment_and_its_token_never_shows(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "UNDERSIGN_DATA_DIR": str(tmp_path), "UNDERSIGN_SMS_URL": " https://sms.example/v1/send ",
        "UNDERSIGN_SMS_TOKEN": TOKEN, "UNDERSIGN_SMS_TIMEOUT_SECONDS": "2.5",
    })  # fmt: skip

    assert (settings.sms_url, settings.sms_token, settings.sms_timeout_seconds) == (
        "https://sms.example/v1/send", TOKEN, 2.5
    )  # fmt: skip
    assert TOKEN not in repr(settings)
    sender = build_container(settings).gateways.sms_sender()
    assert isinstance(sender, HttpSmsGateway) and TOKEN not in repr(sender)


def test_a_token_may_go_over_plain_http_to_this_machine_only() -> None:
    settings = Settings.from_env({"UNDERSIGN_SMS_URL": "http://127.0.0.1:8025/send", "UNDERSIGN_SMS_TOKEN": TOKEN})
    assert settings.sms_url == "http://127.0.0.1:8025/send"
    with pytest.raises(SettingsError, match="UNDERSIGN_SMS_URL: .*unencrypted"):
        Settings.from_env({"UNDERSIGN_SMS_URL": "http://sms.example/send", "UNDERSIGN_SMS_TOKEN": TOKEN})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"UNDERSIGN_SMS_URL": "smtp://sms.example"}, "UNDERSIGN_SMS_URL: .*http:// or https://"),
        ({"UNDERSIGN_SMS_URL": "ftp://sms.example/send"}, "UNDERSIGN_SMS_URL: .*http:// or https://"),
        ({"UNDERSIGN_SMS_URL": "sms.example"}, "UNDERSIGN_SMS_URL: .*http:// or https://"),
        ({"UNDERSIGN_SMS_URL": "https://"}, "UNDERSIGN_SMS_URL: .*no host"),
        ({"UNDERSIGN_SMS_URL": "https://sms.example:99999/"}, "UNDERSIGN_SMS_URL: .*port"),
        ({"UNDERSIGN_SMS_TOKEN": TOKEN}, "UNDERSIGN_SMS_TOKEN is set but UNDERSIGN_SMS_URL is not"),
        ({"UNDERSIGN_SMS_URL": "https://sms.example", "UNDERSIGN_SMS_TOKEN": "tok\x7fen"}, "UNDERSIGN_SMS_TOKEN: "),
        ({"UNDERSIGN_SMS_TIMEOUT_SECONDS": "0"}, "UNDERSIGN_SMS_TIMEOUT_SECONDS must be more than 0"),
    ],
)
def test_a_bad_sms_setting_is_refused_by_name_without_repeating_secrets(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as raised:
        Settings.from_env(env)
    assert TOKEN not in str(raised.value) and "tok\x7fen" not in str(raised.value)
