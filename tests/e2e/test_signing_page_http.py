"""The signer's page's form posts over HTTP, in process: only its own forms are acted on (CSRF token bound
to the browser, no cross-site post, strict form reading), answers are never stored, and an embedded
session may be framed by the sites the operator lists, and no other."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e import api
from tests.stack import Stack, serve, settings_for
from undersign.entrypoints.http.page_forms import MAX_SIGNATURE_PNG_BYTES

FRAMING_SITE = "https://app.example.com"


@pytest_asyncio.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    # Plain http, as the test client speaks: the page's cookies are Secure only behind an https address.
    settings = settings_for(
        tmp_path / "data",
        UNDERSIGN_PUBLIC_URL="http://testserver.local",
        UNDERSIGN_SIGNING_FRAME_ANCESTORS=FRAMING_SITE,
    )
    async with serve(settings) as running:
        yield running


async def link(stack: Stack, **body: str) -> tuple[str, str, str]:
    """A sent envelope's signing link (token), with one text field and a signature for its one signer."""
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    text = await api.place(stack, envelope_id, document_id, ada, "text", 1, 72, 100)
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    issued = await api.post(stack, f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", body)
    return envelope_id, issued["token"], text


def tiny_png() -> bytes:
    """A real 1x1 grey PNG, built by hand: signature, IHDR, IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b"")
    )


def hidden(page: str, action: str) -> dict[str, str]:
    form = page[page.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(csrf|lang)" value="([^"]*)">', form))


async def status_of(stack: Stack, envelope_id: str) -> str:
    return (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()["status"]


async def test_only_the_pages_own_form_from_this_browser_is_acted_on(stack: Stack) -> None:
    envelope_id, token, text = await link(stack)
    page = await stack.client.get(f"/sign/{token}")
    form = hidden(page.text, f"/sign/{token}/sign") | {
        f"field.{text}": "Acme",
        "signature_text": "Ada",
        "consent": "yes",
    }
    action = f"/sign/{token}/sign"

    # Another browser (without this one's cookie), a made-up token, a cross-site post, a JSON body: refused.
    cookie = stack.client.cookies.get("undersign_signing_browser")
    assert cookie
    stack.client.cookies.set("undersign_signing_browser", "another", domain="testserver.local", path="/sign/")
    other_browser = await stack.client.post(action, data=form)
    stack.client.cookies.set("undersign_signing_browser", cookie, domain="testserver.local", path="/sign/")
    assert other_browser.status_code == 403 and "This page had grown old" in other_browser.text
    forged = await stack.client.post(action, data=form | {"csrf": "A" * 43})
    assert forged.status_code == 403
    cross_site = await stack.client.post(action, data=form, headers={"sec-fetch-site": "cross-site"})
    assert cross_site.status_code == 403 and "from another website" in cross_site.text
    as_json = await stack.client.post(action, json=form)
    assert as_json.status_code == 403 and "could not be read" in as_json.text
    unknown_name = await stack.client.post(action, data=form | {"admin": "true"})
    assert unknown_name.status_code == 403
    not_theirs = await stack.client.post(action, data=form | {"field.someone-elses": "x"})
    assert not_theirs.status_code == 422 and "not yours to fill" in not_theirs.text
    for response in (other_browser, forged, cross_site, not_theirs):
        assert response.headers["cache-control"] == "no-store" and response.headers["content-type"].startswith(
            "text/html"
        )
    assert await status_of(stack, envelope_id) == "sent"

    # The page's own form: signed, and back to the page (post/redirect/get).
    png = tiny_png()
    signed = await stack.client.post(
        action, data=form | {"signature_image": "data:image/png;base64," + base64.b64encode(png).decode()}
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == f"/sign/{token}?lang=en" and signed.headers["cache-control"] == "no-store"
    assert await status_of(stack, envelope_id) == "completed"


async def test_a_signature_picture_past_its_bound_is_refused_by_name(stack: Stack) -> None:
    envelope_id, token, text = await link(stack)
    page = await stack.client.get(f"/sign/{token}")
    form = hidden(page.text, f"/sign/{token}/sign") | {
        f"field.{text}": "Acme",
        "signature_text": "Ada",
        "consent": "yes",
    }
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_SIGNATURE_PNG_BYTES
    refused = await stack.client.post(
        f"/sign/{token}/sign",
        data=form | {"signature_image": "data:image/png;base64," + base64.b64encode(big).decode()},
    )
    assert refused.status_code == 422
    assert 'id="error-signature_image"' in refused.text and "not a PNG image of up to 700 KB" in refused.text
    assert await status_of(stack, envelope_id) == "sent"


async def test_an_embedded_session_may_be_framed_by_the_listed_sites_only(stack: Stack) -> None:
    await api.allow_embedded_signing(stack)
    _, token, _ = await link(stack, embedded_authentication="signed in to the partner portal")
    embedded = await stack.client.get(f"/sign/{token}")
    assert embedded.status_code == 200
    assert f"frame-ancestors {FRAMING_SITE}" in embedded.headers["content-security-policy"]
    assert "x-frame-options" not in embedded.headers
    _, token, _ = await link(stack)
    alone = await stack.client.get(f"/sign/{token}")
    assert "frame-ancestors 'none'" in alone.headers["content-security-policy"]
    assert alone.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_link_that_leads_nowhere_is_a_404_page_in_the_readers_language(stack: Stack, method: str) -> None:
    path = "/sign/no-such-link" if method == "GET" else "/sign/no-such-link/sign"
    response = await stack.client.request(
        method, path, data={"csrf": "x"} if method == "POST" else None, headers={"accept-language": "ar"}
    )
    assert response.status_code == 404 and '<html lang="ar" dir="rtl">' in response.text
    assert "رابط التوقيع هذا غير موجود" in response.text and response.headers["cache-control"] == "no-store"


async def test_an_access_code_from_the_sender_opens_the_documents(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(
        stack, envelope_id, "Ada Lovelace", authentication={"method": "access_code", "access_code": "river-4711"}
    )
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = (await api.post(stack, f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", {}))["token"]
    page = await stack.client.get(f"/sign/{token}")
    assert 'id="code"' in page.text and "Tries left: 5" in page.text and "lease.pdf" not in page.text
    form = hidden(page.text, f"/sign/{token}/verify")

    wrong = await stack.client.post(f"/sign/{token}/verify", data=form | {"code": "lake-0000"})
    assert wrong.status_code == 401 and "That code is not right." in wrong.text and "Tries left: 4" in wrong.text
    right = await stack.client.post(f"/sign/{token}/verify", data=form | {"code": "river-4711"})
    assert right.status_code == 303 and "undersign_signer_pass=" in right.headers["set-cookie"]
    opened = await stack.client.get(right.headers["location"])
    assert "lease.pdf" in opened.text and f'action="/sign/{token}/sign"' in opened.text


async def test_an_oidc_recipient_is_sent_to_sign_in(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace", authentication={"method": "oidc"})
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = (await api.post(stack, f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", {}))["token"]
    page = await stack.client.get(f"/sign/{token}")
    assert f'href="/sign/{token}/oidc"' in page.text and "lease.pdf" not in page.text


async def test_a_new_code_asked_for_too_soon_says_to_wait(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace", authentication={"method": "email_otp"})
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = (await api.post(stack, f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", {}))["token"]
    page = await stack.client.get(f"/sign/{token}")
    assert "@example.com" in page.text and "ada.lovelace@example.com" not in page.text  # masked until they pass
    sent = await stack.client.post(f"/sign/{token}/code", data=hidden(page.text, f"/sign/{token}/code"))
    assert sent.status_code == 303
    page = await stack.client.get(sent.headers["location"])
    assert 'autocomplete="one-time-code"' in page.text
    again = await stack.client.post(f"/sign/{token}/code", data=hidden(page.text, f"/sign/{token}/code"))
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    assert "Please wait a little" in again.text
