"""Request bodies read strictly, before Litestar's own conversion sees them.

Litestar converts a JSON body into the handler's Struct with msgspec's lax rules, under
which `"consent": "true"` is true and `"page": "1"` is 1. An API that records consent must
not guess, so every JSON body is first decoded here with strict types against the same
Struct; only what passes reaches the handler (the second, lax conversion then changes
nothing). Bodies that are not UTF-8, nested past any field's shape, or over a field's
bounds are refused here too, as a 400 problem that names the field.

Forms (multipart, and URL-encoded: a SAML IdP's answer) are parsed here as well, so that a text part that is not UTF-8 is a 400
(Litestar would fail on it with a 500); the parsed form is kept for the handler.

JSON bodies are small: MAX_JSON_BODY_BYTES is the app's body limit (a 413 past it), and
only the routes that take a PDF (uploads, verification) are allowed UNDERSIGN_MAX_UPLOAD_MB.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException

# Far beyond any request of the API (500 field values of 1,000 characters is about 0.6 MiB):
# a megabyte a request is all a signing link's holder, or anyone, can make the server hold.
MAX_JSON_BODY_BYTES = 1024 * 1024


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """The app's before-request hook: refuse a body the handler's declared type does not admit."""
    field = request.route_handler.parsed_data_field
    if field is None:
        return
    media_type = getattr(field.kwarg_definition, "media_type", None)
    if media_type in (RequestEncodingType.MULTI_PART, RequestEncodingType.URL_ENCODED):  # a SAML IdP's answer is the latter
        await _form(request)
        return
    body = await request.body()
    if not body and field.has_default:
        return  # an optional body left out: the handler gets its default (Litestar's rule too)
    try:
        msgspec.json.decode(body, type=field.annotation, strict=True)
    except UnicodeDecodeError:
        raise ValidationException("the body is not UTF-8 text") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise ValidationException(f"the body does not fit: {error}") from None
    except RecursionError:  # msgspec walks a tagged union's tag value however deep it is nested
        raise ValidationException("the body does not fit: it is nested too deeply") from None


async def _form(request: Request[Any, Any, Any]) -> None:
    try:
        await request.form()  # kept on the request for the handler's own reading
    except UnicodeDecodeError:
        raise ValidationException("a form part without a file name must be UTF-8 text") from None
