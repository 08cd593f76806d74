"""The signer's page's form posts: CSRF tokens, and the forms' fields read strictly.

A page form carries a token that only this installation can make: HMAC-SHA256 under its secret
key over the form's purpose, the link's token and a value only this browser holds (its signer
pass cookie once it has one, else a random cookie the page sets). Another site cannot read it,
so it cannot forge a post; a post that comes from another site (`Sec-Fetch-Site: cross-site`)
is refused before its token is even looked at.

Forms are URL-encoded and read here, not by a framework's lenient parser: UTF-8 only, each name
once, no name the form does not have, every value within its bound.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from hashlib import sha256
from urllib.parse import parse_qsl

from litestar import Request
from litestar.datastructures import Cookie

from undersign.entrypoints.http.signer_passes import SIGNER_PASS_COOKIE

BROWSER_COOKIE = "undersign_signing_browser"
_CSRF_CONTEXT = b"undersign signing page form v1"
FORM_TYPE = "application/x-www-form-urlencoded"

MAX_FORM_FIELDS = 520  # every field an envelope may give one recipient (500), and the form's own
MAX_TEXT = 1_000  # a text field's value (domain.envelope.MAX_TEXT_VALUE_LENGTH)
MAX_NAME = 200  # a typed signature is a name
MAX_REASON = 2_000
MAX_CODE = 64
# A drawn or uploaded signature: the PNG, and the data: URL the page sends it in (base64: 4/3).
MAX_SIGNATURE_PNG_BYTES = 700 * 1024
_PNG_DATA_URL = "data:image/png;base64,"
MAX_SIGN_BODY_BYTES = 2 * 1024 * 1024  # the URL-encoded form around it, percent signs and all
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIELD_PREFIX = "field."


class FormRefused(Exception):
    """The form cannot be read; `message` is a catalogue message id, `field` the input it concerns, if one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def browser_binding(request: Request, *, embedded: bool = False) -> tuple[str, Cookie | None]:
    """The value this browser's CSRF tokens are bound to, and the cookie to set when it has none yet.

    An embedded session's page lives in another site's frame, where a SameSite=Lax cookie is never
    sent: its cookie is SameSite=None, which browsers take only with Secure (an https address)."""
    held = request.cookies.get(SIGNER_PASS_COOKIE) or request.cookies.get(BROWSER_COOKIE)
    if held:
        return held, None
    fresh = secrets.token_urlsafe(32)
    secure = request.app.state.container.settings().public_url.startswith("https://")
    same_site = "none" if embedded and secure else "lax"
    cookie = Cookie(key=BROWSER_COOKIE, value=fresh, path="/sign/", httponly=True, samesite=same_site, secure=secure)
    return fresh, cookie


def csrf_token(secret_key: bytes, purpose: str, link_token: str, binding: str) -> str:
    message = b"\0".join((_CSRF_CONTEXT, purpose.encode(), link_token.encode(), binding.encode()))
    return base64.urlsafe_b64encode(hmac.new(secret_key, message, sha256).digest()).decode().rstrip("=")


def check_origin_and_token(request: Request, form: dict[str, str], purpose: str, link_token: str) -> None:
    """Refuse a cross-site post, or one whose token this browser's page did not get (FormRefused)."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise FormRefused("This form was sent from another website, so it was not accepted.")
    binding = request.cookies.get(SIGNER_PASS_COOKIE) or request.cookies.get(BROWSER_COOKIE)
    expected = csrf_token(request.app.state.container.gateways.secret_key(), purpose, link_token, binding or "")
    if not binding or not hmac.compare_digest(form.get("csrf", "").encode(), expected.encode()):
        raise FormRefused("This page had grown old. Please check it and send it again.")


async def read_form(request: Request, allowed: frozenset[str], *, prefix_allowed: bool = False) -> dict[str, str]:
    """The URL-encoded form's fields: names in `allowed` (or, with `prefix_allowed`, FIELD_PREFIX ones), each once."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise FormRefused("The form could not be read. Please send it again from the page.")
    try:
        pairs = parse_qsl(
            (await request.body()).decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise FormRefused("The form could not be read. Please send it again from the page.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        known = name in allowed or (prefix_allowed and name.startswith(FIELD_PREFIX))
        if not known or name in form:
            raise FormRefused("The form could not be read. Please send it again from the page.")
        form[name] = value
    return form


def bounded(form: dict[str, str], name: str, limit: int, *, message: str) -> str:
    value = form.get(name, "")
    if len(value) > limit:
        raise FormRefused(message, name)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldInput:
    id: str
    kind: str  # domain.field.FieldKind's value
    required: bool


def field_values(form: dict[str, str], fields: list[FieldInput]) -> dict[str, str | bool]:
    """The values of the recipient's own fields in `form`: text as typed, checkboxes as true or false.

    A field that is not theirs, a value for a field the platform fills, or a checkbox value the page
    does not send is refused. An unchecked checkbox is not sent by browsers: it is false."""
    mine = {f.id: f for f in fields}
    values: dict[str, str | bool] = {}
    for name, value in form.items():
        if not name.startswith(FIELD_PREFIX):
            continue
        field = mine.get(name.removeprefix(FIELD_PREFIX))
        if field is None or field.kind in ("signature", "date_signed"):
            raise FormRefused("The form named a field that is not yours to fill.")
        if field.kind == "checkbox":
            if value != "true":
                raise FormRefused("A box can only be ticked or left empty.", name)
            values[field.id] = True
        elif len(value) > MAX_TEXT:
            raise FormRefused("This answer is too long.", name)
        elif field.kind == "text" and field.required and not value.strip():
            raise FormRefused("Please fill in this field.", name)
        elif field.kind == "initials" and not value.strip():
            continue  # left empty, the platform writes the initials of the typed name
        else:
            values[field.id] = value
    for field in fields:
        if field.kind == "checkbox":
            values.setdefault(field.id, False)
            if field.required and values[field.id] is not True:
                raise FormRefused("Please tick this box.", FIELD_PREFIX + field.id)
        elif field.kind == "text" and field.required and field.id not in values:
            raise FormRefused("Please fill in this field.", FIELD_PREFIX + field.id)
    return values


def signature_image(form: dict[str, str]) -> bytes | None:
    """The drawn or uploaded signature, a PNG sent as a data: URL; None when the signer only typed it."""
    value = form.get("signature_image", "")
    if not value:
        return None
    if (
        not value.startswith(_PNG_DATA_URL)
        or len(value) > len(_PNG_DATA_URL) + (MAX_SIGNATURE_PNG_BYTES * 4 + 2) // 3 + 4
    ):
        raise FormRefused("The signature picture is not a PNG image of up to 700 KB.", "signature_image")
    try:
        png = base64.b64decode(value.removeprefix(_PNG_DATA_URL), validate=True)
    except (binascii.Error, ValueError):
        raise FormRefused("The signature picture is not a PNG image of up to 700 KB.", "signature_image") from None
    if len(png) > MAX_SIGNATURE_PNG_BYTES or not png.startswith(PNG_SIGNATURE):
        raise FormRefused("The signature picture is not a PNG image of up to 700 KB.", "signature_image")
    return png
