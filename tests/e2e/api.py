"""Small helpers to walk the HTTP API the way a REST client does."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import httpx

from tests.pdf_samples import make_pdf
from tests.stack import Stack
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The body of a problem details response (RFC 9457) of `status`; with `code`, that its code and status are these."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if code is not None:
        assert body["code"] == code and body["status"] == status
    return body


async def api_key(stack: Stack, role: AccessRole = AccessRole.ADMIN, tenant: str = "acme") -> str:
    """A new key of `role` in `tenant` (made first if it is not the stack's own "acme")."""
    container = build_container(stack.settings)
    try:
        tenants = container.use_cases().tenants
        if tenant != "acme":
            await tenants.create(tenant)
        return (await tenants.create_api_key(tenant, role)).key
    finally:
        await shutdown(container)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def write_behind_the_app(stack: Stack, statement: str, parameters: tuple[Any, ...] = ()) -> int:
    """One statement on the stack's SQLite file through a connection of its own, as another process would
    write; the rows it changed.

    In a thread: the app runs on this event loop, and one of its transactions (a background job's, say)
    may hold SQLite's write lock until the loop lets it commit. Waiting for the lock on the loop itself
    would keep that commit from ever coming."""

    def write() -> int:
        database = sqlite3.connect(stack.settings.data_dir / "undersign.db", timeout=30)
        try:
            with database:
                return database.execute(statement, parameters).rowcount
        finally:
            database.close()

    return await asyncio.to_thread(write)


def stored_files(stack: Stack) -> list[str]:
    """Every file in the stack's blob store, relative to it: what uploads and signatures have left there."""
    root = stack.settings.blob_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def post(stack: Stack, path: str, body: dict[str, Any] | None = None, expect: int = 201) -> dict[str, Any]:
    response = await stack.client.post(path, json=body, headers=stack.headers)
    assert response.status_code == expect, response.text
    return response.json()


async def create_envelope(stack: Stack, routing: str = "sequential", pages: int = 2) -> tuple[str, str]:
    envelope = await post(stack, "/v1/envelopes", {"subject": "Lease agreement", "message": "Please sign", "routing": routing})
    upload = await stack.client.post(
        f"/v1/envelopes/{envelope['id']}/documents",
        files={"file": ("lease.pdf", make_pdf(pages=pages), "application/pdf")},
        headers=stack.headers,
    )
    assert upload.status_code == 201, upload.text
    return envelope["id"], upload.json()["id"]


async def add_signer(stack: Stack, envelope_id: str, name: str, **extra: Any) -> str:
    body = {"name": name, "email": f"{name.lower().replace(' ', '.')}@example.com", **extra}
    return (await post(stack, f"/v1/envelopes/{envelope_id}/signers", body))["id"]


async def place(stack: Stack, envelope_id: str, document_id: str, signer_id: str, kind: str, page: int, x: float, y: float, **extra: Any) -> str:
    body = {"document_id": document_id, "signer_id": signer_id, "kind": kind, "page": page,
            "x": x, "y": y, "width": 160, "height": 36, **extra}
    return (await post(stack, f"/v1/envelopes/{envelope_id}/fields", body))["id"]


async def send(stack: Stack, envelope_id: str) -> dict[str, Any]:
    return await post(stack, f"/v1/envelopes/{envelope_id}/send", expect=200)


async def signing_token(stack: Stack, envelope_id: str, signer_id: str) -> str:
    return (await post(stack, f"/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-link"))["token"]


async def sign(stack: Stack, token: str, text: str, fields: dict[str, Any] | None = None, expect: int = 200):
    body = {"fields": fields or {}, "signature": {"kind": "typed", "text": text}, "consent": True}
    response = await stack.client.post(f"/v1/signing/{token}/sign", json=body)
    assert response.status_code == expect, response.text
    return response.json()


async def ready_to_complete(stack: Stack) -> tuple[str, str]:
    """A sent envelope whose one signer has a signing link: their signature completes it. (envelope id, token)"""
    envelope_id, document_id = await create_envelope(stack, pages=1)
    ada = await add_signer(stack, envelope_id, "Ada Lovelace")
    await place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await send(stack, envelope_id)
    return envelope_id, await signing_token(stack, envelope_id, ada)


async def final_pdf(stack: Stack, envelope_id: str, document_id: str) -> bytes:
    response = await stack.client.get(f"/v1/envelopes/{envelope_id}/documents/{document_id}/content", headers=stack.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


async def until_sealed(stack: Stack, envelope_id: str, timeout: float = 60) -> dict[str, Any]:
    """The envelope once the background seal has been applied to every document (it follows the last signature)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)
        assert response.status_code == 200, response.text
        envelope = response.json()
        if envelope["documents"] and all(d["status"] == "sealed" for d in envelope["documents"]):
            return envelope
        assert asyncio.get_running_loop().time() < deadline, f"not sealed within {timeout} s: {envelope}"
        await asyncio.sleep(0.05)


async def completed_envelope(stack: Stack) -> tuple[str, str, bytes]:
    """Ada then Bob sign; the envelope completes and its document is sealed."""
    envelope_id, document_id = await create_envelope(stack)
    ada = await add_signer(stack, envelope_id, "Ada Lovelace")
    bob = await add_signer(stack, envelope_id, "Bob Babbage")
    await place(stack, envelope_id, document_id, ada, "signature", 2, 72, 600)
    await place(stack, envelope_id, document_id, bob, "signature", 2, 72, 700)
    await send(stack, envelope_id)
    await sign(stack, await signing_token(stack, envelope_id, ada), "Ada Lovelace")
    done = await sign(stack, await signing_token(stack, envelope_id, bob), "Bob Babbage")
    assert done["envelope_status"] == "completed"
    await until_sealed(stack, envelope_id)
    return envelope_id, document_id, await final_pdf(stack, envelope_id, document_id)


async def allow_embedded_signing(stack: Stack) -> None:
    """The tenant's default policy from now on lets senders' applications authenticate recipients themselves."""
    await post(stack, "/v1/policies", {"name": "Embedded signing", "embedded_signing": True, "default": True})
