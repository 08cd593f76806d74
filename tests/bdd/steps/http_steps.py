"""Steps that drive the real HTTP API on the embedded default (SQLite, files, real signatures)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from litestar.testing import TestClient
from pytest_bdd import given, parsers, then, when

from tests.pdf_checks import pdfsig_report
from tests.pdf_samples import make_pdf
from tests.webhook_receiver import WebhookReceiver, webhook_receiver
from undersign.adapters.sql import migrate
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown
from undersign.entrypoints.http.app import create_app
from undersign.entrypoints.settings import Settings


@dataclass
class Api:
    client: TestClient
    headers: dict[str, str]
    settings: Settings
    envelope_id: str = ""
    document_id: str = ""
    signers: dict[str, str] = field(default_factory=dict)

    def post(self, path: str, body: dict | None = None) -> dict:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()


async def _issue_key(settings: Settings) -> str:
    container = build_container(settings)
    try:
        tenants = container.use_cases().tenants
        await tenants.create("acme")
        return (await tenants.create_api_key("acme", AccessRole.ADMIN)).key
    finally:
        await shutdown(container)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on loopback that checks every delivery's signature."""
    with webhook_receiver("whsec_dW5zZXQ=", fail_first=0) as receiver:
        yield receiver


@pytest.fixture
def api(tmp_path: Path):
    # Webhooks may go to loopback: the scenarios' receiver listens there.
    settings = Settings.from_env({"UNDERSIGN_DATA_DIR": str(tmp_path / "data"), "UNDERSIGN_WEBHOOK_ALLOW_PRIVATE": "true"})
    settings.data_dir.mkdir(parents=True)
    migrate.upgrade(settings.database_url)
    key = asyncio.run(_issue_key(settings))
    with TestClient(app=create_app(build_container(settings))) as client:
        yield Api(client=client, headers={"Authorization": f"Bearer {key}"}, settings=settings)


@given(parsers.parse('an envelope sent over the API to "{first}" and then "{second}"'))
def sent_over_the_api(api: Api, world, first: str, second: str) -> None:
    world.api = api
    api.envelope_id = api.post("/v1/envelopes", {"subject": "Lease agreement"})["id"]
    upload = api.client.post(
        f"/v1/envelopes/{api.envelope_id}/documents",
        files={"file": ("lease.pdf", make_pdf(pages=2), "application/pdf")},
        headers=api.headers,
    )
    assert upload.status_code == 201, upload.text
    api.document_id = upload.json()["id"]
    for y, name in ((600, first), (700, second)):
        local = name.lower() if name.isascii() and name.isalpha() else f"recipient-{y}"  # names in any script, with spaces
        signer = api.post(f"/v1/envelopes/{api.envelope_id}/signers", {"name": name, "email": f"{local}@example.com"})
        api.signers[name] = signer["id"]
        api.post(
            f"/v1/envelopes/{api.envelope_id}/fields",
            {"document_id": api.document_id, "signer_id": signer["id"], "kind": "signature",
             "page": 2, "x": 72, "y": y, "width": 180, "height": 40},
        )
    api.post(f"/v1/envelopes/{api.envelope_id}/send")


@given(parsers.parse('an envelope sent over the API to "{first}" and then "{second}", with a webhook for "{event}"'))
def sent_with_webhook(api: Api, world, receiver: WebhookReceiver, first: str, second: str, event: str) -> None:
    hook = api.post("/v1/webhooks", {"url": receiver.url, "events": [event]})
    receiver.set_secret(hook["secret"])
    sent_over_the_api(api, world, first, second)


@then(parsers.parse('the receiver gets one "{event}" delivery whose signature checks out'))
def receiver_got(api: Api, receiver: WebhookReceiver, event: str) -> None:
    (delivery,) = receiver.wait_for(lambda requests: len(requests) >= 1, timeout=60)
    assert delivery.verified and delivery.status == 200
    body = json.loads(delivery.body)
    assert body["type"] == event and body["data"]["envelope_id"] == api.envelope_id


@when(parsers.parse('"{name}" signs through her link'))
@when(parsers.parse('"{name}" signs through his link'))
def signs_through_link(api: Api, name: str) -> None:
    token = api.post(f"/v1/envelopes/{api.envelope_id}/signers/{api.signers[name]}/signing-link")["token"]
    response = api.client.post(
        f"/v1/signing/{token}/sign", json={"signature": {"kind": "typed", "text": name}, "consent": True}
    )
    assert response.status_code == 200, response.text


@then(parsers.parse("the final PDF holds {count:d} valid signatures"))
def final_pdf_signatures(api: Api, count: int) -> None:
    report = pdfsig_report(final_pdf_over_api(api), expected=count)
    assert all(s.valid for s in report), report


def final_pdf_over_api(api: Api, timeout: float = 60) -> bytes:
    """The document once sealed: the seal is a background job that follows the last signature."""
    deadline = time.monotonic() + timeout
    while (status := api.client.get(f"/v1/envelopes/{api.envelope_id}", headers=api.headers).json()["documents"][0]["status"]) != "sealed":
        assert time.monotonic() < deadline, f"the document is still {status} after {timeout} s"
        time.sleep(0.05)
    response = api.client.get(
        f"/v1/envelopes/{api.envelope_id}/documents/{api.document_id}/content", headers=api.headers
    )
    assert response.status_code == 200, response.text
    return response.content


def envelope_status_over_api(api: Api) -> str:
    response = api.client.get(f"/v1/envelopes/{api.envelope_id}", headers=api.headers)
    assert response.status_code == 200, response.text
    return response.json()["status"]
