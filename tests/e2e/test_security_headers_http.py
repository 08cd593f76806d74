"""Hardening headers over HTTP: nosniff on every response, no-store wherever a token, a secret
or a document travels, the signing page's strict CSP with its own script and stylesheet, HSTS
over TLS; and, on a real `undersign serve`, no Server banner and oversized request heads refused."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import httpx
import pytest

from tests.e2e import api
from tests.servers import free_port, serving_undersign
from tests.stack import Stack, serve, settings_for
from undersign.entrypoints.http.api_docs import DOCS_CSP
from undersign.entrypoints.http.security_headers import MAX_HEADER_BYTES, MAX_REQUEST_HEAD_BYTES

HSTS = "max-age=31536000; includeSubDomains"


def hardened(response: httpx.Response) -> httpx.Response:
    assert response.headers["x-content-type-options"] == "nosniff", (response.url, response.headers)
    assert response.headers["referrer-policy"] == "no-referrer", (response.url, response.headers)
    return response


def not_stored(response: httpx.Response) -> httpx.Response:
    assert response.headers["cache-control"] == "no-store", (response.url, response.headers)
    return hardened(response)


async def invited(stack: Stack, signer_id: str, timeout: float = 30) -> None:
    """Wait for the invitation mail: it issues a link of its own, revoking older ones."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(signer_id in mail.name for mail in stack.settings.mail_dir.glob("*.eml")):
        assert asyncio.get_running_loop().time() < deadline, "no invitation mail"
        await asyncio.sleep(0.05)


async def test_every_kind_of_response_says_nosniff_and_no_referrer(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack)
    hardened(await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers))
    pdf = hardened(await stack.client.get(f"/v1/envelopes/{envelope_id}/documents/{document_id}/content", headers=stack.headers))
    assert pdf.headers["content-type"] == "application/pdf"
    api.problem(hardened(await stack.client.get("/v1/envelopes")), 401, "unauthenticated")
    # Answered by the router itself, before any middleware: the headers still go out.
    api.problem(hardened(await stack.client.get("/no/such/route")), 404)
    api.problem(hardened(await stack.client.post("/health")), 405)
    assert hardened(await stack.client.get("/sign/some-token")).headers["content-type"].startswith("text/html")
    hardened(await stack.client.get("/health"))


async def test_responses_that_carry_a_token_a_secret_or_a_document_are_never_stored(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    await invited(stack, ada)

    link = not_stored(await stack.client.post(f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", headers=stack.headers))
    token = link.json()["token"]
    session = not_stored(await stack.client.get(f"/v1/signing/{token}"))
    not_stored(await stack.client.get(session.json()["documents"][0]["content_url"]))
    not_stored(await stack.client.get(f"/sign/{token}"))
    not_stored(await stack.client.get(f"/v1/envelopes/{envelope_id}/documents/{document_id}/content", headers=stack.headers))
    api.problem(not_stored(await stack.client.get(f"/v1/envelopes/{envelope_id}/certificate", headers=stack.headers)), 409)
    api.problem(not_stored(await stack.client.get("/v1/signing/no-such-token")), 404)

    signed = not_stored(await stack.client.post(
        f"/v1/signing/{token}/sign", json={"fields": {}, "signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True}
    ))  # fmt: skip
    assert signed.status_code == 200, signed.text
    await api.until_sealed(stack, envelope_id)
    certificate = not_stored(await stack.client.get(f"/v1/envelopes/{envelope_id}/certificate", headers=stack.headers))
    assert certificate.status_code == 200 and certificate.headers["content-type"] == "application/pdf"

    hook = {"url": "https://93.184.215.14/undersign", "events": ["envelope.sealed"]}
    created = not_stored(await stack.client.post("/v1/webhooks", json=hook, headers=stack.headers))
    assert created.json()["secret"].startswith("whsec_")
    rotated = not_stored(await stack.client.post(f"/v1/webhooks/{created.json()['id']}/rotate-secret", headers=stack.headers))
    assert rotated.json()["secret"].startswith("whsec_")


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


async def test_the_signing_page_runs_only_its_own_script_and_stylesheet(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    await invited(stack, ada)
    link = await stack.client.post(f"/v1/envelopes/{envelope_id}/signers/{ada}/signing-link", json={}, headers=stack.headers)
    page = await stack.client.get(f"/sign/{link.json()['token']}")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    allowed = directives(policy)
    assert allowed["default-src"] == ["'none'"]
    assert allowed["script-src"] == ["'self'"] and allowed["style-src"] == ["'self'"]
    assert allowed["frame-ancestors"] == ["'none'"] and allowed["base-uri"] == ["'none'"]
    assert allowed["form-action"] == ["'self'"] and allowed["require-trusted-types-for"] == ["'script'"]
    assert page.headers["x-frame-options"] == "DENY"
    # Nothing inline that the policy would block, and so break the page; the one inline block is data.
    assert "<style" not in page.text and " style=" not in page.text and not re.search(r"\son[a-z]+=", page.text)
    tags = re.findall(r"<script[^>]*>", page.text)
    assert all(" src=" in tag or 'type="application/json"' in tag for tag in tags)

    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page.text)
    sheets = re.findall(r'<link[^>]*\srel="stylesheet"[^>]*\shref="([^"]+)"', page.text)
    assert len(scripts) == 1 and len(sheets) == 1
    for url, media_type in ((scripts[0], "text/javascript"), (sheets[0], "text/css")):
        assert url.startswith("/sign/assets/")  # this origin: 'self'
        asset = hardened(await stack.client.get(url))
        assert asset.status_code == 200 and asset.headers["content-type"].split(";")[0] == media_type
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"  # the URL names its content
        unversioned = hardened(await stack.client.get(url.partition("?")[0]))
        assert unversioned.content == asset.content and unversioned.headers["cache-control"] == "no-cache"
    script = (await stack.client.get(scripts[0])).text
    assert "isEvalSupported: false" in script  # pdf.js, served from here too, never evaluates PDF-made code

    for name in ("sign.html", "..%2Fsigning.py", "nope.js", "pdfjs%2FLICENSE"):
        api.problem(hardened(await stack.client.get(f"/sign/assets/{name}")), 404, "not_found")


async def test_the_api_docs_page_runs_only_its_own_scripts_and_styles(stack: Stack) -> None:
    # What the page needs of it, in a real browser: tests/e2e/test_api_docs_offline.py.
    for path in ("/schema", "/schema/swagger"):
        docs = hardened(await stack.client.get(path))
        csp = docs.headers["content-security-policy"]
        assert docs.status_code == 200 and csp == DOCS_CSP and "unsafe" not in csp
        assert csp.startswith("default-src 'none'; script-src 'self'; style-src 'self';")
        assert "cache-control" not in docs.headers


async def test_hsts_goes_out_over_tls_and_not_over_plain_http(tmp_path: Path) -> None:
    async with serve(settings_for(tmp_path / "data", UNDERSIGN_PUBLIC_URL="http://sign.example.test")) as stack:
        over_tls = hardened(await stack.client.get("https://testserver.local/v1/envelopes", headers=stack.headers))
        plain = hardened(await stack.client.get("http://testserver.local/v1/envelopes", headers=stack.headers))
    assert over_tls.status_code == plain.status_code == 200
    assert over_tls.headers["strict-transport-security"] == HSTS
    assert "strict-transport-security" not in plain.headers


async def test_an_https_public_address_means_hsts_behind_a_tls_terminating_proxy(stack: Stack) -> None:
    assert stack.settings.public_url.startswith("https://")
    behind_proxy = await stack.client.get("http://testserver.local/health")
    assert behind_proxy.headers["strict-transport-security"] == HSTS


async def test_headers_past_the_limit_are_refused_with_431(stack: Stack) -> None:
    refused = hardened(await stack.client.get("/v1/envelopes", headers={**stack.headers, "X-Padding": "a" * MAX_HEADER_BYTES}))
    api.problem(refused, 431, "request_header_fields_too_large")
    page = await stack.client.get("/sign/some-token", headers={"X-Padding": "a" * MAX_HEADER_BYTES})
    api.problem(page, 431, "request_header_fields_too_large")
    within = await stack.client.get("/v1/envelopes", headers={**stack.headers, "X-Padding": "a" * (MAX_HEADER_BYTES - 2048)})
    assert within.status_code == 200, within.text


# -- the real server ----------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path):
    port = free_port()
    env = {"UNDERSIGN_DATA_DIR": str(tmp_path / "data"), "UNDERSIGN_LOG_FORMAT": "json"}
    with serving_undersign(env, tmp_path / "serve.log", port):
        yield port


def unfinished_head(port: int, size: int) -> bytes:
    """What the server answers to `size` bytes of a request head that never ends."""
    start = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(start + b"a" * (size - len(start)))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_the_served_process_shows_no_server_banner_and_refuses_oversized_headers(served: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{served}") as client:
        health = hardened(client.get("/health"))
        assert health.status_code == 200 and "server" not in health.headers
        refused = client.get("/health", headers={"X-Padding": "a" * 64 * 1024})
        api.problem(hardened(refused), 431, "request_header_fields_too_large")
        assert "server" not in refused.headers

    # A head past the parser's bound is cut off before it ends (httptools would wait for more, without bound).
    answer = unfinished_head(served, MAX_REQUEST_HEAD_BYTES + 1)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"\r\nserver:" not in answer.lower().partition(b"\r\n\r\n")[0]
