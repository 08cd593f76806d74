"""The signer's page's parts that need no server: its catalogues, the language it picks, its CSRF tokens,
how strictly it reads its forms, the setting for framing it, and the token kept out of the request log."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract
from jinja2.ext import babel_extract

from undersign.entrypoints.http import page_forms as forms
from undersign.entrypoints.http.page_forms import FieldInput, FormRefused, csrf_token, field_values, signature_image
from undersign.entrypoints.http.page_language import LANGUAGES, choose_language
from undersign.entrypoints.http.request_context import TOKEN_IN_PATH
from undersign.entrypoints.settings import Settings, SettingsError

HTTP = Path(forms.__file__).parent
KEYWORDS = {"_": None, "N_": None, "FormRefused": (1,)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def page_messages() -> set[str]:
    """Every message the page's templates and modules show, as Babel extracts them."""
    found: set[str] = {"language-name"}
    for path in (HTTP / "templates").glob("*.html"):
        with path.open("rb") as template:
            for _, _, message, _ in babel_extract(
                template, KEYWORDS, [], {"trim_blocks": "true", "lstrip_blocks": "true"}
            ):
                found.add(message[0] if isinstance(message, tuple) else message)
    for path in [HTTP / "signing_page.py", *sorted(HTTP.glob("page_*.py"))]:
        with path.open("rb") as module:
            found.update(message for _, message, _, _ in extract("python", module, keywords=KEYWORDS))
    return {message for message in found if isinstance(message, str)}


def test_every_message_of_the_page_is_in_arabic_with_the_same_placeholders() -> None:
    messages, arabic = page_messages(), LANGUAGES["ar"].messages
    assert len(messages) > 80
    assert sorted(messages - set(arabic)) == []
    for message in messages:
        assert set(PLACEHOLDER.findall(arabic[message])) == set(PLACEHOLDER.findall(message)), message
    assert sorted(set(arabic) - messages) == []  # nothing stale left for translators to keep up
    assert LANGUAGES["ar"].direction == "rtl" and LANGUAGES["en"].direction == "ltr"
    assert LANGUAGES["ar"].gettext("Tries left: %(count)s", count=3) == "المحاولات المتبقية: 3"


@pytest.mark.parametrize(
    ("offered", "asked", "accept", "chosen"),
    [
        (("en", "ar"), "ar", "en-GB", "ar"),  # the page's own choice wins
        (("en",), "ar", "ar", "en"),  # not offered by the policy: not shown
        (("en", "ar"), None, "fr-FR, ar-EG;q=0.8, en;q=0.5", "ar"),
        (("en", "ar"), None, "ar;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        (("ar", "en"), None, "fr", "ar"),  # none of them: the policy's first
        (("ar", "en"), None, "*", "ar"),
        (("en", "ar"), "xx", ";;;q=abc,,,", "en"),
        (("de", "ar"), None, None, "ar"),  # a language without a catalogue is left out
    ],
)
def test_the_page_language_is_asked_then_preferred_then_the_policys_first(
    offered: tuple[str, ...], asked: str | None, accept: str | None, chosen: str
) -> None:
    assert choose_language(offered, asked, accept).code == chosen


def test_a_csrf_token_is_bound_to_its_purpose_link_and_browser() -> None:
    key = b"k" * 32
    token = csrf_token(key, "sign", "link-1", "browser-1")
    assert token == csrf_token(key, "sign", "link-1", "browser-1")
    others = {
        csrf_token(key, "decline", "link-1", "browser-1"), csrf_token(key, "sign", "link-2", "browser-1"),
        csrf_token(key, "sign", "link-1", "browser-2"), csrf_token(b"x" * 32, "sign", "link-1", "browser-1"),
    }  # fmt: skip
    assert token not in others and len(others) == 4


MINE = [
    FieldInput(id="t", kind="text", required=True), FieldInput(id="o", kind="text", required=False),
    FieldInput(id="c", kind="checkbox", required=False), FieldInput(id="r", kind="checkbox", required=True),
    FieldInput(id="i", kind="initials", required=True), FieldInput(id="s", kind="signature", required=True),
    FieldInput(id="d", kind="date_signed", required=True),
]  # fmt: skip


def test_field_values_are_read_as_the_page_sends_them() -> None:
    form = {"field.t": "Acme", "field.o": "", "field.r": "true", "field.i": "", "csrf": "x"}
    assert field_values(form, MINE) == {"t": "Acme", "o": "", "c": False, "r": True}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"field.t": "a", "field.r": "true", "field.nope": "x"}, "not yours"),
        ({"field.t": "a", "field.r": "true", "field.s": "Ada"}, "not yours"),  # the signature is the typed name
        ({"field.t": "a", "field.r": "true", "field.d": "2020-01-01"}, "not yours"),  # the date is the platform's
        ({"field.t": "a", "field.r": "on"}, "ticked or left empty"),
        ({"field.t": "a", "field.r": "true", "field.c": "false"}, "ticked or left empty"),
        ({"field.t": "a"}, "tick this box"),
        ({"field.t": "  ", "field.r": "true"}, "fill in"),
        ({"field.r": "true"}, "fill in"),
        ({"field.t": "x" * 1001, "field.r": "true"}, "too long"),
    ],
)
def test_a_form_that_does_not_fit_the_fields_is_refused(form: dict[str, str], message: str) -> None:
    with pytest.raises(FormRefused, match=message):
        field_values(form, MINE)


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def data_url(content: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def test_a_drawn_signature_is_a_png_of_bounded_size() -> None:
    assert signature_image({"signature_image": data_url(PNG)}) == PNG
    assert signature_image({"signature_image": ""}) is None and signature_image({}) is None
    big = PNG + b"\0" * forms.MAX_SIGNATURE_PNG_BYTES
    for refused in (
        data_url(b"GIF89a" + b"\0" * 10),
        data_url(PNG, "image/svg+xml"),
        data_url(big),
        "data:image/png;base64,@@@@",
    ):
        with pytest.raises(FormRefused, match="PNG"):
            signature_image({"signature_image": refused})


def test_frame_ancestors_are_https_origins_only() -> None:
    origins = "https://app.example.com https://*.acme.test:8443"
    settings = Settings.from_env({"UNDERSIGN_SIGNING_FRAME_ANCESTORS": origins})
    assert settings.signing_frame_ancestors == ("https://app.example.com", "https://*.acme.test:8443")
    assert Settings.from_env({}).signing_frame_ancestors == ()
    for bad in ("http://app.example.com", "https://a.example/path", "https://a.example;script-src", "'self'", "*"):
        with pytest.raises(SettingsError, match="UNDERSIGN_SIGNING_FRAME_ANCESTORS"):
            Settings.from_env({"UNDERSIGN_SIGNING_FRAME_ANCESTORS": bad})


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/sign/s3cr3t-t0k3n", "/sign/…"),
        ("/sign/s3cr3t-t0k3n/verify", "/sign/…/verify"),
        ("/v1/signing/s3cr3t-t0k3n/documents/d1/content", "/v1/signing/…/documents/d1/content"),
        ("/v1/envelopes/e1", "/v1/envelopes/e1"),
    ],
)
def test_the_request_log_never_carries_a_signing_token(path: str, logged: str) -> None:
    assert TOKEN_IN_PATH.sub(r"\1…", path) == logged
